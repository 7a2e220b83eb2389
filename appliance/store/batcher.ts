/**
 * @module Groups writes that arrive in a burst into one transaction: the first item opens a window
 * of `delayMs` (or the batch fills to `max`), then all items are flushed together and each caller's
 * promise settles with the outcome of the flush. Timers are injected so tests use fake time.
 */

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as Timer) };

interface Pending<T> { item: T; resolve: () => void; reject: (e: unknown) => void }

export class Batcher<T> {
  private pending: Pending<T>[] = [];
  private timer: unknown = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly flushFn: (items: T[]) => Promise<void>,
    private readonly opts: { delayMs: number; max: number; timers?: Timers },
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.opts.max) this.flush();
      else if (this.timer === null) this.timer = (this.opts.timers ?? realTimers).set(() => this.flush(), this.opts.delayMs);
    });
  }

  /** Flush what is pending now; resolves when that flush (and any before it) is done. */
  flush(): Promise<void> {
    if (this.timer !== null) {
      (this.opts.timers ?? realTimers).clear(this.timer);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        await this.flushFn(batch.map((p) => p.item));
        batch.forEach((p) => p.resolve());
      } catch (e) {
        batch.forEach((p) => p.reject(e));
      }
    });
    return this.flushing;
  }
}
