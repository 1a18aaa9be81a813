import {lstat, readdir} from 'node:fs/promises'
import {join} from 'node:path'

export interface WalkedFile {
  absolutePath: string
  /** Relative, with `/` separators. */
  path: string
  size: number
}

/** Every regular file under `root`, sorted, skipping `.git` and anything that is not a plain file. */
export async function walkFiles(root: string, signal?: AbortSignal): Promise<WalkedFile[]> {
  const files: WalkedFile[] = []
  const pending = ['']
  while (pending.length > 0) {
    signal?.throwIfAborted()
    const relativeDir = pending.pop() as string
    const entries = await readdir(join(root, relativeDir), {withFileTypes: true})
    for (const entry of entries) {
      const relativePath = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`
      if (entry.isDirectory()) {
        if (entry.name !== '.git') pending.push(relativePath)
      } else if (entry.isFile()) {
        const absolutePath = join(root, relativePath)
        files.push({path: relativePath, absolutePath, size: (await lstat(absolutePath)).size})
      }
    }
  }

  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
