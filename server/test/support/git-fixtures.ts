import {execFileSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

/** Identity passed on the command line: the tests never depend on a global git config. */
const IDENTITY = ['-c', 'user.name=Test Author', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false']

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...IDENTITY, ...args], {
    cwd,
    encoding: 'utf8',
    env: {...process.env, GIT_TERMINAL_PROMPT: '0'},
  })
}

export function writeFiles(root: string, files: Record<string, Buffer | string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), {recursive: true})
    writeFileSync(join(root, path), content)
  }
}

/** `count` small text files named src/file-<n>.txt, each with a distinct word. */
export function numberedFiles(count: number, word = 'apple'): Record<string, string> {
  return Object.fromEntries(
    Array.from({length: count}, (_, n) => [`src/file-${n}.txt`, `${word} number ${n}\nline two of file ${n}\n`]),
  )
}

/** A new repository on branch `main` with one commit of the given files. */
export function createRepo(path: string, files: Record<string, Buffer | string>): string {
  mkdirSync(path, {recursive: true})
  git(path, 'init', '--quiet', '--initial-branch=main')
  return commitFiles(path, files, 'initial commit')
}

/** Writes the files, commits them and returns the new commit id. */
export function commitFiles(repo: string, files: Record<string, Buffer | string>, message: string): string {
  writeFiles(repo, files)
  git(repo, 'add', '--all')
  git(repo, 'commit', '--quiet', '-m', message)
  return git(repo, 'rev-parse', 'HEAD').trim()
}
