/**
 * Counts failed logins per client in a sliding window. At `max` failures the client is turned
 * away (429) until the oldest failure leaves the window; a successful login clears its count.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>()

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds the client must wait, or 0 when it may try. */
  retryAfterSeconds(client: string, now = Date.now()): number {
    const recent = this.recentFailures(client, now)
    if (recent.length < this.max) return 0
    return Math.max(1, Math.ceil((recent[0] + this.windowMs - now) / 1000))
  }

  recordFailure(client: string, now = Date.now()): void {
    this.failures.set(client, [...this.recentFailures(client, now), now])
  }

  reset(client: string): void {
    this.failures.delete(client)
  }

  private recentFailures(client: string, now: number): number[] {
    const recent = (this.failures.get(client) ?? []).filter((at) => at > now - this.windowMs)
    if (recent.length === 0) this.failures.delete(client)
    else this.failures.set(client, recent)
    return recent
  }
}
