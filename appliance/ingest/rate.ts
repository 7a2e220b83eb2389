/** @module Frames per second over a sliding window of recent timestamps. Pure. */

export class RateMeter {
  private stamps: number[] = [];
  constructor(private readonly windowMs = 5000) {}

  mark(t: number): void {
    this.stamps.push(t);
    while (this.stamps.length > 2 && t - this.stamps[0]! > this.windowMs) this.stamps.shift();
  }

  rate(now: number): number {
    const recent = this.stamps.filter((s) => now - s <= this.windowMs);
    if (recent.length < 2) return 0;
    return (recent.length - 1) / ((recent[recent.length - 1]! - recent[0]!) / 1000);
  }
}
