/** @module Frames per second over a sliding window of recent timestamps. Pure. */
import { percentile } from '../shared/stats';

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

/** The last `size` values of a measure (a frame's latency), and their percentiles. Pure. */
export class RecentValues {
  private values: number[] = [];
  private at = 0;
  constructor(private readonly size = 512) {}

  add(v: number): void {
    if (this.values.length < this.size) this.values.push(v);
    else this.values[this.at] = v;
    this.at = (this.at + 1) % this.size;
  }

  /** The p-th percentile (nearest rank) of the values kept, or null when there are none. */
  percentile(p: number): number | null {
    return percentile(this.values, p);
  }
}
