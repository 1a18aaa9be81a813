import {readFile, stat} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'

import {NotConfiguredError} from '../errors.js'

/** A project configured by the Python cidx in remote mode. Values are as written there (not normalised). */
export interface CidxProject {
  root: string
  serverUrl: string
  username: string
}

const PROJECT_DIR = '.code-indexer'

/** Where the Python cidx keeps a project's remote settings (`.remote-config`) and credentials (`.creds`). */
export function projectFilePath(root: string, name: '.creds' | '.remote-config'): string {
  return join(root, PROJECT_DIR, name)
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

function brokenProject(path: string, problem: string): NotConfiguredError {
  return new NotConfiguredError(`${path} ${problem}`, {
    hint: 'Fix it (it needs "server_url" and "username"), or use `cidx login --server URL` outside the project.',
  })
}

/**
 * Finds the nearest folder, from `cwd` upwards, whose `.code-indexer/` holds a `.remote-config`.
 * Local-mode projects (a `.code-indexer/` without `.remote-config`) have no server and are passed over.
 */
export async function findProject(cwd: string): Promise<CidxProject | null> {
  let dir = resolve(cwd)
  for (;;) {
    const configPath = projectFilePath(dir, '.remote-config')
    if (await isFile(configPath)) return readRemoteConfig(dir, configPath)
    const parent = dirname(dir)
    if (parent === dir) return null
    dir = parent
  }
}

async function readRemoteConfig(root: string, configPath: string): Promise<CidxProject> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(configPath, 'utf8'))
  } catch (error) {
    const problem =
      error instanceof SyntaxError ? 'is not valid JSON' : `cannot be read (${(error as NodeJS.ErrnoException).code})`
    throw brokenProject(configPath, problem)
  }

  const {server_url: serverUrl, username} = (parsed ?? {}) as Record<string, unknown>
  if (typeof serverUrl !== 'string' || serverUrl === '' || typeof username !== 'string' || username === '') {
    throw brokenProject(configPath, 'has no "server_url" or no "username"')
  }

  return {root, serverUrl, username}
}
