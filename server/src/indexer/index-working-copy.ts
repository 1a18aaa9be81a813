import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import type {IndexStorage} from '../db/storage.js'
import type {JobContext} from '../jobs/job-context.js'
import type {IndexedText} from './file-index.js'

import {type WalkedFile, walkFiles} from './walk.js'

/** Files above this size are not worth a full-text index (generated, vendored or data files). */
export const MAX_INDEXED_FILE_BYTES = 1024 * 1024
/** Small batches: each is one short transaction, and progress moves visibly between them. */
export const INDEX_BATCH_SIZE = 20
const BINARY_SNIFF_BYTES = 8000

export interface IndexPlan {
  dir: string
  /** Content hashes of what the repository's index holds now: unchanged files are skipped. */
  previous: ReadonlyMap<string, string>
  /** The share of the job's progress bar this step fills. */
  progressFrom: number
  progressTo: number
  stagingKey: string
}

export interface IndexOutcome {
  changed: number
  /** Text files the repository has now (indexed now or unchanged). */
  files: number
  removed: string[]
  skipped: number
}

async function readIndexable(file: WalkedFile): Promise<IndexedText | null> {
  if (file.size > MAX_INDEXED_FILE_BYTES) return null
  const content = await readFile(file.absolutePath)
  if (content.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return null
  return {path: file.path, sha: createHash('sha1').update(content).digest('hex'), text: content.toString('utf8')}
}

/**
 * Walks a working copy and writes the text files that changed since `previous` into the job's
 * staging area, a batch per transaction, reporting `n/N files indexed` and stopping at the
 * next batch boundary when the job is cancelled.
 */
export async function indexWorkingCopy(
  context: JobContext,
  index: Pick<IndexStorage, 'stage'>,
  plan: IndexPlan,
): Promise<IndexOutcome> {
  const walked = await walkFiles(plan.dir, context.signal)
  const total = walked.length
  const present = new Set<string>()
  let changed = 0
  let skipped = 0
  const report = (done: number) =>
    context.report({
      progress: plan.progressFrom + Math.floor(((plan.progressTo - plan.progressFrom) * done) / Math.max(total, 1)),
      phase: 'index',
      detail: `${done}/${total} files indexed`,
    })
  report(0)
  for (let start = 0; start < total; start += INDEX_BATCH_SIZE) {
    const batch = walked.slice(start, start + INDEX_BATCH_SIZE)
    const texts = (await Promise.all(batch.map((file) => readIndexable(file)))).filter(
      (text): text is IndexedText => text !== null,
    )
    skipped += batch.length - texts.length
    for (const text of texts) present.add(text.path)
    const changedTexts = texts.filter((text) => plan.previous.get(text.path) !== text.sha)
    await context.checkpoint()
    await index.stage(plan.stagingKey, changedTexts)
    changed += changedTexts.length
    report(start + batch.length)
  }

  const removed = [...plan.previous.keys()].filter((path) => !present.has(path))
  return {files: present.size, changed, removed, skipped}
}
