/** Racing work against an AbortSignal: a command must stop promptly even while a request hangs. */

/**
 * Settles like `work`, or rejects with `errorFor(signal)` as soon as `signal` aborts (at once
 * when it already has). Work still in flight is left behind: its outcome is ignored, not unhandled.
 */
export async function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  errorFor: (signal: AbortSignal) => unknown,
): Promise<T> {
  if (!signal) return work
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(errorFor(signal))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, {once: true})
  })
  try {
    return await Promise.race([work, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort!)
  }
}
