/** @module Percentiles of a handful of measurements (latencies, run times). Pure. */

/** The p-th percentile of `values` by nearest rank, or null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
