/**
 * @module Group commit: writes that arrive while a flush is running are gathered and written together
 * by the next flush, in one transaction. An idle batcher flushes at once, so a lone write waits for
 * nothing; under a burst, the batch grows to at most `max` items. Each caller's promise settles with
 * the outcome of the flush that carried its item.
 */

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class Batcher<T> {
  private pending: Pending<T>[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly flushFn: (items: T[]) => Promise<void>,
    private readonly opts: { max: number },
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) this.running = this.drain();
    });
  }

  /** Resolves when everything added so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // Let the writes of the current tick join the first batch.
    await Promise.resolve();
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.opts.max);
      try {
        await this.flushFn(batch.map((p) => p.item));
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.running = null;
  }
}
