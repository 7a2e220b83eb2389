/**
 * @module Writes that run behind the frame loop: a stage hands its sink writes here and goes on with
 * the next frame; past `max` writes in flight the loop waits, so memory stays bounded. Failures are
 * logged and counted, never thrown into the frame loop. close() waits for every write.
 */
import type { Logger } from '../shared/log';

export class BoundedWrites {
  private pending = new Set<Promise<void>>();
  failures = 0;

  constructor(
    private readonly max: number,
    private readonly log: Logger,
  ) {}

  async add(p: Promise<void>): Promise<void> {
    const q: Promise<void> = p
      .catch((e) => {
        this.failures++;
        this.log.error('result write failed', { error: e, failures: this.failures });
      })
      .finally(() => this.pending.delete(q));
    this.pending.add(q);
    while (this.pending.size >= this.max) await Promise.race(this.pending);
  }

  async close(): Promise<void> {
    await Promise.all(this.pending);
  }
}
