/** One address may fail this many times `max` across all user names (a password spray, or a flood of password hashing). */
const ADDRESS_FACTOR = 10

/** Failure times per key within a sliding window. */
class FailureWindow {
  private readonly failures = new Map<string, number[]>()
  private lastSweep = 0

  constructor(
    readonly limit: number,
    private readonly windowMs: number,
  ) {}

  clear(key: string): void {
    this.failures.delete(key)
  }

  /** Takes back the latest failure of the key (an attempt counted in advance that succeeded). */
  forgetLatest(key: string): void {
    const failures = this.failures.get(key)
    failures?.pop()
    if (failures?.length === 0) this.failures.delete(key)
  }

  record(key: string, now: number): void {
    this.sweep(now)
    this.failures.set(key, [...this.recent(key, now), now])
  }

  /** Seconds until the key is below its limit again, or 0 when it is. */
  waitSeconds(key: string, now: number): number {
    const recent = this.recent(key, now)
    if (recent.length < this.limit) return 0
    return Math.max(1, Math.ceil((recent[recent.length - this.limit] + this.windowMs - now) / 1000))
  }

  private recent(key: string, now: number): number[] {
    const recent = (this.failures.get(key) ?? []).filter((at) => at > now - this.windowMs)
    if (recent.length === 0) this.failures.delete(key)
    else this.failures.set(key, recent)
    return recent
  }

  /** Keys tried once and never again would otherwise stay in memory: drop what left the window, once per window. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return
    this.lastSweep = now
    for (const key of this.failures.keys()) this.recent(key, now)
  }
}

/**
 * Counts failed logins per user name and client address. A name that failed `max` times from
 * an address in the window is turned away (429) from that address only, until its oldest
 * failure leaves the window: a flood of bad passwords for `admin` cannot lock the admin out
 * from elsewhere, nor another user out from the same address. An address that failed
 * `max × 10` times across all names is turned away for every name, so that trying many names
 * does not multiply the guesses (and the password hashing) it gets. An attempt counts as a
 * failure from the start, so that guesses sent in parallel cannot all get past the limit; a
 * successful one is taken back and clears its name's count at its address. Turned-away
 * attempts are not counted.
 */
export class LoginLimiter {
  private readonly byAddress: FailureWindow
  private readonly byName: FailureWindow

  constructor(max: number, windowMs: number) {
    this.byName = new FailureWindow(max, windowMs)
    this.byAddress = new FailureWindow(max * ADDRESS_FACTOR, windowMs)
  }

  /** Counts an attempt as a failure until `succeeded` says otherwise. */
  recordAttempt(username: string, address: string, now = Date.now()): void {
    this.byName.record(nameKey(username, address), now)
    this.byAddress.record(address, now)
  }

  /** Seconds the client must wait before trying this name again, or 0 when it may try. */
  retryAfterSeconds(username: string, address: string, now = Date.now()): number {
    return Math.max(this.byName.waitSeconds(nameKey(username, address), now), this.byAddress.waitSeconds(address, now))
  }

  succeeded(username: string, address: string): void {
    this.byName.clear(nameKey(username, address))
    this.byAddress.forgetLatest(address)
  }
}

/** A NUL cannot occur in an address, so no two (name, address) pairs share a key. */
function nameKey(username: string, address: string): string {
  return `${address}\u0000${username}`
}
