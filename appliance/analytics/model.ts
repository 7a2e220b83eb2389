/**
 * @module What the analytics views accept: the metrics, abundances and intervals by name, the checks
 * of a query's range, the time zone, and CSV. Pure. (The metrics themselves are computed by DuckDB:
 * store/analytics metricSelect.)
 */
import { AppError } from '../shared/errors';
import type { Abundance, Interval } from '../contracts/analytics';

export type { Abundance, Interval };

export const METRICS = ['richness', 'shannon', 'simpson', 'evenness', 'hill1'] as const;
export type Metric = (typeof METRICS)[number];
export const ABUNDANCES = ['tracks', 'events', 'detections'] as const;
export const INTERVALS = ['hour', 'day', 'week'] as const;

const oneOf = <T extends string>(what: string, list: readonly T[], v: string | undefined, dflt: T): T => {
  if (v === undefined || v === '') return dflt;
  if ((list as readonly string[]).includes(v)) return v as T;
  throw new AppError('validation_failed', `unknown ${what} '${v}': valid are ${list.join(', ')}`, {
    details: { field: what, valid: list },
  });
};

export const metricOf = (v: string | undefined) => oneOf('metric', METRICS, v, 'shannon');
export const abundanceOf = (v: string | undefined) => oneOf('abundance', ABUNDANCES, v, 'tracks');
export const intervalOf = (v: string | undefined) => oneOf('interval', INTERVALS, v, 'day');

/** A local calendar day, YYYY-MM-DD. */
export type Day = string;

const DAY_MS = 86_400_000;
const MAX_DAYS = 5 * 366;
/** Hourly buckets are read from the records: at most this many days of them at once. */
export const MAX_HOUR_DAYS = 31;

export const addDays = (d: Day, n: number): Day =>
  new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const daysBetween = (a: Day, b: Day) =>
  Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);

/** The local day of an instant in a time zone. */
export function dayIn(timeZone: string, at: Date): Day {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** A time zone name the box can compute days in, or a clear error. */
export function checkTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    throw new AppError(
      'config_invalid',
      `analytics.time_zone: unknown time zone '${tz}' (an IANA name, e.g. Europe/Berlin)`,
    );
  }
}

/** The basis of the tables from the config: its time zone (else the box's own, else UTC), checked. */
export function basisOf(
  a: { time_zone: string; independence_s: number },
  systemTimeZone: string | undefined = Intl.DateTimeFormat().resolvedOptions().timeZone,
): { timeZone: string; independenceS: number } {
  return { timeZone: checkTimeZone(a.time_zone || systemTimeZone || 'UTC'), independenceS: a.independence_s };
}

/** `from`/`to` as given (a date, or an instant read as its local day), checked. */
function parseDay(field: string, v: string, timeZone: string): Day {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`))) return v;
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new AppError('validation_failed', `${field}: '${v}' is not a date (YYYY-MM-DD) or an ISO 8601 time`, {
      details: { field },
    });
  return dayIn(timeZone, new Date(t));
}

/**
 * The days a query covers: `from` and `to` as given, else `defaultDays` ending today (or at `to`),
 * clipped to a session's window. From after to, or over five years: a validation error.
 */
export function rangeOf(
  q: { from?: string; to?: string },
  opts: { timeZone: string; now: Date; defaultDays: number; maxDays?: number; within?: { from: Day; to: Day | null } },
): { from: Day; to: Day } {
  let to = q.to ? parseDay('to', q.to, opts.timeZone) : dayIn(opts.timeZone, opts.now);
  let from = q.from ? parseDay('from', q.from, opts.timeZone) : addDays(to, -(opts.defaultDays - 1));
  if (from > to)
    throw new AppError('validation_failed', `from (${from}) is after to (${to})`, { details: { field: 'from' } });
  const max = opts.maxDays ?? MAX_DAYS;
  if (daysBetween(from, to) + 1 > max)
    throw new AppError(
      'validation_failed',
      `the range ${from} to ${to} is over ${max === MAX_DAYS ? 'five years' : `${max} days`}; ask for a shorter one`,
      { details: { field: 'from', max_days: max } },
    );
  // A session's window clips the range (which may leave it empty: from after to, nothing matches).
  if (opts.within) {
    if (from < opts.within.from) from = opts.within.from;
    if (opts.within.to && to > opts.within.to) to = opts.within.to;
  }
  return { from, to };
}

/** RFC 4180 CSV: a header and rows; fields with a comma, quote or newline are quoted. */
export function csv(header: string[], rows: Array<Array<string | number | null>>): string {
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}
