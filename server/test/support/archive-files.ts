import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

/** The archived jobs of every archive file of the folder, in the order they were written. */
export function archivedLines(dir: string): Record<string, unknown>[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .sort()
    .flatMap((file) =>
      gunzipSync(readFileSync(join(dir, file)))
        .toString('utf8')
        .split('\n'),
    )
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** Their job IDs. */
export function archivedIds(dir: string): string[] {
  return archivedLines(dir).map((line) => line.job_id as string)
}
