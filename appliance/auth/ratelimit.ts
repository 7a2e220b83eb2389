/**
 * @module Fixed-window-with-carry rate limiter (a token bucket refilled continuously): `perMinute`
 * requests a minute per subject (an API key, a client IP). Pure, with the clock passed in; the
 * caller turns a refusal into 429 with Retry-After.
 */

export interface Decision {
  ok: boolean;
  retryAfterS: number;
  remaining: number;
}

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(subject: string): Decision {
    const t = this.now();
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(subject) ?? { tokens: this.perMinute, at: t };
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * rate);
    b.at = t;
    this.buckets.set(subject, b);
    if (this.buckets.size > 10_000) this.prune(t);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, retryAfterS: 0, remaining: Math.floor(b.tokens) };
    }
    return { ok: false, retryAfterS: Math.ceil((1 - b.tokens) / rate / 1000), remaining: 0 };
  }

  /** Forget buckets that have refilled completely (memory stays bounded under many IPs). */
  private prune(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (t - b.at) * (this.perMinute / 60_000) >= this.perMinute) this.buckets.delete(k);
    }
  }
}
