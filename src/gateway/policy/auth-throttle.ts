// Slows down guessing: after too many failed authentications from one address, refuse for a while.
export interface AuthThrottleOptions {
  /** Failures allowed per address inside one window. */
  maxFailures: number;
  windowMs: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  windowStart: number;
  blockedUntil: number;
}

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly opts: AuthThrottleOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Seconds until this address may try again, or 0 if it may try now. */
  retryAfter(address: string): number {
    const e = this.entries.get(address);
    const t = this.now();
    if (!e || e.blockedUntil <= t) return 0;
    return Math.ceil((e.blockedUntil - t) / 1000);
  }

  /** Records a failure; returns true when this failure crossed the limit and the address is now blocked. */
  fail(address: string): boolean {
    const t = this.now();
    let e = this.entries.get(address);
    if (!e || t - e.windowStart >= this.opts.windowMs) {
      e = { failures: 0, windowStart: t, blockedUntil: 0 };
      this.entries.set(address, e);
    }
    e.failures += 1;
    if (e.failures >= this.opts.maxFailures && e.blockedUntil <= t) {
      e.blockedUntil = t + this.opts.windowMs;
      return true;
    }
    this.prune(t);
    return false;
  }

  /** Keeps the table small: a flood of addresses cannot grow it without end. */
  private prune(t: number): void {
    if (this.entries.size < 10_000) return;
    for (const [k, e] of this.entries) if (e.blockedUntil <= t && t - e.windowStart >= this.opts.windowMs) this.entries.delete(k);
  }
}
