/**
 * @module A clip of any range, assembled from recorded segments by stream copy (no decode, no
 * encode), as data: which segments the range touches, where in the first and last one it starts
 * and ends (the concat demuxer's `inpoint`/`outpoint`, so the clip starts at the keyframe at or
 * before the asked start, as stream copy must), the ffconcat list, and the ffmpeg command that
 * writes it as an MP4 that plays while it downloads (`+faststart`). Pure.
 */

/** A segment on disk and the wall-clock span it covers (ms since the epoch). */
export interface StoredSegment {
  path: string;
  start: number;
  end: number;
  /** Keyframe times in seconds from its start, when known: a clip then says where it really starts. */
  keyframes?: number[];
}

export interface ClipEntry {
  path: string;
  /** Seconds into the segment to start at (the first segment), or null for its beginning. */
  inpoint: number | null;
  /** Seconds into the segment to end at (the last segment), or null for its end. */
  outpoint: number | null;
}

export interface ClipPlan {
  entries: ClipEntry[];
  /** The span the clip covers, clipped to what is recorded (ms). */
  start: number;
  end: number;
  /** Recorded time missing inside the span (a camera that dropped), in ms. */
  gapMs: number;
}

/** The segments of [start, end) in order, or null when nothing recorded overlaps it. */
export function planClip(segments: StoredSegment[], start: number, end: number): ClipPlan | null {
  if (!(end > start)) return null;
  const hit = segments.filter((s) => s.end > start && s.start < end).sort((a, b) => a.start - b.start);
  if (!hit.length) return null;
  const first = hit[0]!;
  const last = hit[hit.length - 1]!;
  const entries = hit.map((s) => ({
    path: s.path,
    inpoint: s === first && start > s.start ? (start - s.start) / 1000 : null,
    outpoint: s === last && end < s.end ? (end - s.start) / 1000 : null,
  }));
  let gapMs = 0;
  for (let i = 1; i < hit.length; i++) gapMs += Math.max(0, hit[i]!.start - hit[i - 1]!.end);
  // Stream copy starts at the keyframe at or before the inpoint: that is where the clip begins.
  const inS = entries[0]!.inpoint ?? 0;
  const key = first.keyframes?.filter((k) => k <= inS + 1e-3).at(-1);
  const begins = key !== undefined ? first.start + Math.round(key * 1000) : Math.max(start, first.start);
  return { entries, start: begins, end: Math.min(end, last.end), gapMs };
}

/** ffconcat's quoting: a path in single quotes, a quote inside it escaped. */
const quoted = (p: string) => `'${p.replace(/'/g, "'\\''")}'`;

/** The concat demuxer's list of a plan. */
export function concatList(plan: ClipPlan): string {
  const lines = ['ffconcat version 1.0'];
  for (const e of plan.entries) {
    lines.push(`file ${quoted(e.path)}`);
    if (e.inpoint !== null) lines.push(`inpoint ${e.inpoint.toFixed(3)}`);
    if (e.outpoint !== null) lines.push(`outpoint ${e.outpoint.toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** ffmpeg reading a plan's list by the concat demuxer, its video copied (no decode, no encode). */
const concatCopy = (listPath: string) => [
  '-hide_banner',
  '-nostdin',
  '-loglevel',
  'error',
  '-f',
  'concat',
  '-safe',
  '0',
  '-i',
  listPath,
  '-map',
  '0:v:0',
  '-c',
  'copy',
];

/** The ffmpeg command that writes a plan's list as one MP4 (video copied; the index at the front). */
export function clipArgs(listPath: string, outPath: string): string[] {
  return [...concatCopy(listPath), '-movflags', '+faststart', '-y', outPath];
}

/** The ffmpeg command that plays a plan's list as fragmented MP4 on stdout (a fragment per keyframe). */
export function playArgs(listPath: string): string[] {
  return [...concatCopy(listPath), '-movflags', 'empty_moov+default_base_moof+frag_keyframe', '-f', 'mp4', 'pipe:1'];
}
