/**
 * @module Which recorded segments go, as Frigate's cleanup decides it: a segment is kept while it is
 * younger than its stream's `days`, or longer when it overlaps a review item (for the item's
 * severity: `alerts_days` or `detections_days`), and for ever when a person marked an item "keep";
 * when the disk budget is short, the oldest segments that nothing protects go first, then none: a
 * protected segment is never deleted for space. The segment being written is never a candidate.
 * Pure: the maintainer lists segments and items, and deletes what this answers.
 */

export interface Segment {
  id: string;
  stream: string;
  start: number;
  end: number;
  bytes: number;
  /** Still being written. */
  open: boolean;
}

export interface Item {
  stream: string;
  start: number;
  end: number;
  severity: 'alert' | 'detection';
  keep: boolean;
}

export interface Retain {
  days: number;
  alerts_days: number;
  detections_days: number;
}

const DAY = 86_400_000;

/** How long a segment must be kept from its end, in ms (Infinity: for ever). */
function keptFor(s: Segment, items: Item[], r: Retain): number {
  let ms = r.days * DAY;
  for (const it of items) {
    if (it.stream !== s.stream || it.end < s.start || it.start > s.end) continue;
    if (it.keep) return Number.POSITIVE_INFINITY;
    ms = Math.max(ms, (it.severity === 'alert' ? r.alerts_days : r.detections_days) * DAY);
  }
  return ms;
}

/**
 * The segments to delete now: those past their retention, then, while `freeBytes` is under
 * `minFreeBytes`, the oldest of the rest that nothing protects (no item overlaps them).
 */
export function toDelete(
  segments: Segment[],
  items: Item[],
  retainOf: (stream: string) => Retain,
  now: number,
  space: { freeBytes: number; minFreeBytes: number },
): Segment[] {
  const closed = segments.filter((s) => !s.open);
  const expired = closed.filter((s) => now - s.end > keptFor(s, items, retainOf(s.stream)));
  const gone = new Set(expired.map((s) => s.id));
  let free = space.freeBytes + expired.reduce((n, s) => n + s.bytes, 0);
  if (free < space.minFreeBytes) {
    const spare = closed
      .filter((s) => !gone.has(s.id))
      .filter((s) => !items.some((it) => it.stream === s.stream && it.end >= s.start && it.start <= s.end))
      .sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
    for (const s of spare) {
      if (free >= space.minFreeBytes) break;
      gone.add(s.id);
      free += s.bytes;
    }
  }
  return segments.filter((s) => gone.has(s.id));
}

/**
 * An item's span widened by its stream's pre- and post-roll (ms); an item still open reaches to
 * `now`. What a clip of it covers, and what of the recording it protects.
 */
export function withRoll<T extends { start: number; end: number | null }>(
  it: T,
  preS: number,
  postS: number,
  now: number,
): T & { end: number } {
  return { ...it, start: it.start - preS * 1000, end: (it.end ?? now) + postS * 1000 };
}

/** What becomes of a complete segment in the cache. */
export type Triage = 'keep' | 'drop' | 'wait';

/**
 * How late analysis may be behind recording: an item starts at the time of the frame it was seen
 * on, which reaches the grouper up to this long after the segment holding it was written.
 */
export const ANALYSIS_LAG_MS = 30_000;

/**
 * A complete segment in the cache: `keep` (index it) in continuous mode or when it overlaps an
 * item's window (the item padded by pre_s and post_s; an open item's window runs to now + post_s);
 * `drop` in events mode once no item can still come to want it; else `wait`.
 */
export function triage(
  seg: { start: number; end: number },
  mode: 'events' | 'continuous',
  windows: Array<{ start: number; end: number }>,
  now: number,
  preS: number,
): Triage {
  if (mode === 'continuous') return 'keep';
  if (windows.some((w) => seg.end > w.start && seg.start < w.end)) return 'keep';
  return seg.end < now - preS * 1000 - ANALYSIS_LAG_MS ? 'drop' : 'wait';
}
