/**
 * @module Recording by stream copy: the ffmpeg command that writes a camera's own video (H.264 or
 * H.265, no decode, no encode) as short MP4 segments, built as data. Segments are written flat into
 * the stream's cache folder, named by their start time, and moved into `<date>/` folders only once
 * complete and probed (as Frigate's maintainer does), so a crash leaves at most the segment being
 * written, and never in the listed recordings. Segment names and their times are parsed back here.
 * Pure.
 */
import { rtspInput } from '../decode/ffmpeg-args';
import type { Source } from '../decode/source';

export interface RecordOptions {
  /** The stream's cache folder, where segments are written while they grow. */
  cacheDir: string;
  /** Seconds per segment; each starts at a keyframe, so a segment lasts at least this long. */
  segmentS: number;
  timeoutS: number;
  /** A file (tests, demos) loops, as a camera goes on. */
  loop: boolean;
}

/** ffmpeg's strftime pattern of a segment's name, in UTC: 20261206T021500Z.mp4. */
export const SEGMENT_PATTERN = '%Y%m%dT%H%M%SZ.mp4';

export function recordArgs(src: Source, o: RecordOptions): string[] {
  const a = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];
  if (src.kind === 'rtsp') a.push(...rtspInput(src.url, o.timeoutS));
  else {
    // Always at its native rate: segments are named by the wall clock, so a file read faster than
    // real time would name several segments alike, each overwriting the last.
    a.push('-re');
    if (o.loop) a.push('-stream_loop', '-1');
    a.push('-i', src.path);
  }
  a.push('-map', '0:v:0', '-an', '-sn', '-dn', '-c:v', 'copy');
  a.push('-f', 'segment', '-segment_time', String(o.segmentS), '-segment_format', 'mp4');
  // Each segment plays alone (its own timestamps from 0, its index at the front) and is named by
  // the wall-clock time it starts (the TZ of the process is UTC for ffmpeg: see spawn).
  a.push('-reset_timestamps', '1', '-segment_format_options', 'movflags=+faststart');
  a.push('-strftime', '1', `${o.cacheDir.replace(/\/$/, '')}/${SEGMENT_PATTERN}`);
  return a;
}

/** A segment's name: its UTC start, and a `-n` suffix when another segment already had that name (a clock set back). */
const NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-\d{1,6})?\.mp4$/;

/** The start of a segment from its name, or null for a name ffmpeg did not make. */
export function segmentStart(name: string): Date | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.slice(0, 7).map(Number) as number[];
  const at = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  // Date.UTC rolls month 13 into the next year: a name whose fields do not come back is not a segment's.
  const back = [
    at.getUTCFullYear(),
    at.getUTCMonth() + 1,
    at.getUTCDate(),
    at.getUTCHours(),
    at.getUTCMinutes(),
    at.getUTCSeconds(),
  ];
  return back.every((v, i) => v === [y, mo, d, h, mi, s][i]) ? at : null;
}

/** The folder a complete segment is kept in: its UTC date. */
export const dayOf = (start: Date): string => start.toISOString().slice(0, 10);

/** A free name for a segment in a folder that has `taken`: the name, or it with the first free `-n`. */
export function freeName(name: string, taken: (n: string) => boolean): string {
  if (!taken(name)) return name;
  const base = name.replace(/(?:-\d+)?\.mp4$/, '');
  for (let i = 1; ; i++) if (!taken(`${base}-${i}.mp4`)) return `${base}-${i}.mp4`;
}
