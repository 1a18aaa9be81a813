/**
 * `npm run readme`: the generated parts of the documentation. `oclif readme` writes the command
 * reference into docs/commands.md (between `<!-- commands -->` and `<!-- commandsstop -->`); this
 * writes the README's exit-code table (between `<!-- exitcodes -->` and `<!-- exitcodesstop -->`)
 * from src/exit-codes.ts, the table the commands use. With --dry-run it prints the docs/commands.md
 * it would write and leaves both files alone.
 */
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {EXIT_CODES} from '../src/exit-codes.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Where `oclif readme` writes the command reference, relative to the root. */
export const COMMANDS_DOC = 'docs/commands.md'
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
  const oclifReadme = ['readme', '--readme-path', COMMANDS_DOC]
  if (argv.includes('--dry-run')) {
    // What oclif readme would write (after its own progress line).
    process.stdout.write(
      execFileSync(oclif, [...oclifReadme, '--dry-run'], {cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024}),
    )
    return
  }

  execFileSync(oclif, oclifReadme, {cwd: ROOT, stdio: 'inherit'})
  const readmePath = join(ROOT, 'README.md')
  writeFileSync(readmePath, withExitCodes(readFileSync(readmePath, 'utf8')))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2))
