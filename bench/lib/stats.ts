/** @module Small statistics for benchmarks: percentiles over samples, and a timer. */

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

export const median = (s: number[]) => percentile(s, 50);

export async function timeEach<T>(items: T[], fn: (x: T) => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (const x of items) {
    const t0 = performance.now();
    await fn(x);
    out.push(performance.now() - t0);
  }
  return out;
}

export const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

export function row(cells: Array<string | number>): string {
  return `| ${cells.join(' | ')} |`;
}
