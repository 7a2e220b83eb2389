/**
 * @module Login brute-force protection, per user name: the `free`-th failed password in a row
 * locks the name, for `baseS` seconds and twice as long after each further failure, up to `maxS`
 * (OWASP: lock with an increasing delay rather than for good, so an attacker cannot lock a user
 * out forever). A success clears it. Kept in memory: a restart does not help an attacker who
 * cannot restart the box. Pure, with the clock passed in.
 */

export interface LockoutOptions {
  free: number;
  baseS: number;
  maxS: number;
  now?: () => number;
}

export class Lockout {
  private failures = new Map<string, { count: number; until: number }>();
  private readonly now: () => number;

  constructor(private readonly o: LockoutOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Seconds the name is still locked for (0: it may try). */
  lockedFor(name: string): number {
    const f = this.failures.get(name);
    return f ? Math.max(0, Math.ceil((f.until - this.now()) / 1000)) : 0;
  }

  /** A failed password; returns the lock it now has, in seconds (0 before the `free`-th). */
  failed(name: string): number {
    const f = this.failures.get(name) ?? { count: 0, until: 0 };
    f.count++;
    const over = f.count - this.o.free + 1;
    const lockS = over <= 0 ? 0 : Math.min(this.o.maxS, this.o.baseS * 2 ** (over - 1));
    f.until = this.now() + lockS * 1000;
    this.failures.set(name, f);
    if (this.failures.size > 10_000) this.prune();
    return lockS;
  }

  succeeded(name: string): void {
    this.failures.delete(name);
  }

  private prune(): void {
    const t = this.now();
    for (const [k, f] of this.failures) if (f.until < t - this.o.maxS * 1000) this.failures.delete(k);
  }
}
