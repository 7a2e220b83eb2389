/**
 * @module Where things go in the analytics charts: the cells of a calendar heatmap (weeks as columns,
 * Monday on top), the colour step of a value, and the points of a sparkline. Pure.
 */

const DAY_MS = 86_400_000;
const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);
export const dayText = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface Cell {
  day: string;
  /** Week column from the first week, and weekday row (0 = Monday). */
  col: number;
  row: number;
}

/** Every day from `from` to `to` (YYYY-MM-DD) in its week column and weekday row. */
export function calendarCells(from: string, to: string): Cell[] {
  const start = dayMs(from);
  const monday = start - ((new Date(start).getUTCDay() + 6) % 7) * DAY_MS;
  const out: Cell[] = [];
  for (let t = start; t <= dayMs(to); t += DAY_MS)
    out.push({ day: dayText(t), col: Math.floor((t - monday) / (7 * DAY_MS)), row: (new Date(t).getUTCDay() + 6) % 7 });
  return out;
}

/** The colour step (1..steps) of a value between the least and greatest shown; 0 for no value. */
export function step(value: number | null | undefined, min: number, max: number, steps = 5): number {
  if (value === null || value === undefined || Number.isNaN(value)) return 0;
  if (max <= min) return steps;
  return 1 + Math.min(steps - 1, Math.floor(((value - min) / (max - min)) * steps));
}

/** A sparkline's points ("x,y x,y") in a width × height box; the series spans the width. */
export function sparkPoints(values: number[], width: number, height: number): string {
  if (!values.length) return '';
  const max = Math.max(...values, 0);
  const dx = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => `${(i * dx).toFixed(1)},${(height - (max > 0 ? (v / max) * (height - 2) : 0) - 1).toFixed(1)}`)
    .join(' ');
}
