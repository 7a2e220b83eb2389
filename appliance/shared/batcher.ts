/**
 * @module Group commit: items that arrive while a flush is running are gathered and handled together
 * by the next flush (written in one transaction, run through a model as one batch). An idle batcher
 * flushes at once, so a lone item waits for nothing; under a burst, the batch grows to at most `max`
 * items. Each caller's promise settles with the outcome of the flush that carried its item: the
 * flush's answer for that item when it gives one per item, else undefined.
 */

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class Batcher<T, R = void> {
  private pending: Pending<T, R>[] = [];
  private running: Promise<void> | null = null;

  constructor(
    /** Handles a batch; answers one result per item, in order, or nothing. */
    private readonly flushFn: (items: T[]) => Promise<R[]> | Promise<void>,
    private readonly opts: { max: number },
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) this.running = this.drain();
    });
  }

  /** Resolves when everything added so far has been handled (or has failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // Let the items of the current tick join the first batch.
    await Promise.resolve();
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.opts.max);
      try {
        const out = await this.flushFn(batch.map((p) => p.item));
        for (const [i, p] of batch.entries()) p.resolve((out ? out[i] : undefined) as R);
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.running = null;
  }
}
