/**
 * `npm run readme`: the README's generated parts. `oclif readme` writes the command reference
 * (between `<!-- commands -->` and `<!-- commandsstop -->`); this writes the exit-code table
 * (between `<!-- exitcodes -->` and `<!-- exitcodesstop -->`) from src/exit-codes.ts, the table the
 * commands use. With --dry-run it prints the README it would write and leaves the file alone.
 */
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {EXIT_CODES} from '../src/exit-codes.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const EXIT_CODES_SECTION = /^<!-- exitcodes -->$[\s\S]*?^<!-- exitcodesstop -->$/m

/** The exit-code table in Markdown, with its markers. */
export function exitCodesMarkdown(): string {
  const rows = EXIT_CODES.map(({code, meaning}) => `| ${code} | ${meaning} |`)
  return ['<!-- exitcodes -->', '| code | meaning |', '|---:|---|', ...rows, '<!-- exitcodesstop -->'].join('\n')
}

/** The README with its exit-code table regenerated; an Error when the markers are missing. */
export function withExitCodes(readme: string): string {
  if (!EXIT_CODES_SECTION.test(readme))
    throw new Error('README.md has no <!-- exitcodes --> ... <!-- exitcodesstop --> section')
  return readme.replace(EXIT_CODES_SECTION, exitCodesMarkdown())
}

function main(argv: string[]): void {
  const oclif = join(ROOT, 'node_modules', '.bin', 'oclif')
  const readmePath = join(ROOT, 'README.md')
  if (argv.includes('--dry-run')) {
    // What oclif readme would write (after its own progress line), with the table regenerated too.
    process.stdout.write(
      withExitCodes(
        execFileSync(oclif, ['readme', '--dry-run'], {cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024}),
      ),
    )
    return
  }

  execFileSync(oclif, ['readme'], {cwd: ROOT, stdio: 'inherit'})
  writeFileSync(readmePath, withExitCodes(readFileSync(readmePath, 'utf8')))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2))
