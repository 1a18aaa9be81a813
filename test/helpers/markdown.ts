import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

/** Reading the project's Markdown the way the documentation tests need: its files, code blocks, links and headings. */

export interface MarkdownFile {
  /** Relative to the repository's root, with `/`. */
  path: string
  text: string
}

/** The project's documentation: README.md, server/README.md and docs/*.md. */
export async function documentationFiles(root: string): Promise<MarkdownFile[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)
  return Promise.all(
    ['README.md', 'server/README.md', ...docs.sort()].map(async (path) => ({
      path,
      text: await readFile(join(root, path), 'utf8'),
    })),
  )
}

/** The fenced code blocks (```lang ... ```), each with its language (`''` when none is given). */
export function codeBlocks(markdown: string): Array<{body: string; lang: string}> {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, lang, body]) => ({lang, body}))
}

/**
 * The command lines a reader would type: each line of a `sh` block (continuation lines joined),
 * and each `$ ` line of a `text` block (output around it left out), without a trailing `# comment`.
 */
export function exampleCommandLines(markdown: string): string[] {
  const lines: string[] = []
  for (const {lang, body} of codeBlocks(markdown)) {
    const joined = body.replaceAll(/\\\n\s*/g, ' ').split('\n')
    const commands =
      lang === 'sh'
        ? joined
        : lang === 'text'
          ? joined.filter((line) => line.startsWith('$ ')).map((line) => line.slice(2))
          : []
    for (const command of commands) {
      const withoutComment = command.replace(/(^|\s+)#\s.*$/, '').trim()
      if (withoutComment) lines.push(withoutComment)
    }
  }

  return lines
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as `-`. */
export function headingAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replaceAll(/[^\p{L}\p{N} _-]/gu, '')
    .replaceAll(' ', '-')
}

/** The anchors of a file's headings (outside code blocks). */
export function headingAnchors(markdown: string): Set<string> {
  const prose = markdown.replaceAll(/^```[\s\S]*?^```$/gm, '')
  return new Set([...prose.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => headingAnchor(heading)))
}

/** The targets of the inline links `[text](target)` outside code blocks that stay in the repository (no scheme). */
export function relativeLinks(markdown: string): string[] {
  const prose = markdown.replaceAll(/^```[\s\S]*?^```$/gm, '').replaceAll(/`[^`\n]*`/g, '')
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map(([, target]) => target)
    .filter((target) => !/^[a-z]+:/i.test(target))
}
