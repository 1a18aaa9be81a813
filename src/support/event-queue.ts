/** A single-consumer queue that background loops fill and one async iterator drains. */
export class EventQueue<T> {
  private closed = false
  private failure: undefined | {error: unknown}
  private readonly items: T[] = []
  private wake: (() => void) | undefined

  /** No more items: the consumer ends once it has taken the queued ones. */
  close(): void {
    this.closed = true
    this.notify()
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      // A failure (abort, timeout, fatal error) wins over items still queued: stopping must be prompt.
      if (this.failure) throw this.failure.error
      const item = this.items.shift()
      if (item !== undefined) {
        yield item
        continue
      }

      if (this.closed) return
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
  }

  /** The first failure wins; the consumer gets it next, ahead of any queued item. */
  fail(error: unknown): void {
    this.failure ??= {error}
    this.notify()
  }

  push(item: T): void {
    this.items.push(item)
    this.notify()
  }

  private notify(): void {
    const {wake} = this
    this.wake = undefined
    wake?.()
  }
}
