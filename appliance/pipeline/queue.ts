/**
 * @module A bounded queue between decode and inference. When inference is slower than decode, the
 * oldest frame is dropped (and counted) to make room: the newest frame is the one worth analysing,
 * and memory never grows past `capacity` frames.
 */

export class DropOldestQueue<T> {
  private items: T[] = [];
  private waiters: Array<(v: T | null) => void> = [];
  private spaceWaiters: Array<() => void> = [];
  private closed = false;
  dropped = 0;

  constructor(readonly capacity: number) {}

  get depth(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.closed) return;
    const w = this.waiters.shift();
    if (w) {
      w(item);
      return;
    }
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.dropped++;
    }
    this.items.push(item);
  }

  /**
   * Add without dropping: waits while the queue is full. For sources that can be paused (a file
   * read faster than real time), so every frame is analysed.
   */
  async pushWait(item: T): Promise<void> {
    while (!this.closed && this.items.length >= this.capacity)
      await new Promise<void>((r) => this.spaceWaiters.push(r));
    this.push(item);
  }

  /** The next item, waiting for one; null once closed and empty. */
  take(): Promise<T | null> {
    if (this.items.length) {
      const item = this.items.shift()!;
      this.spaceWaiters.shift()?.();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(null);
    for (const w of this.spaceWaiters.splice(0)) w();
  }
}
