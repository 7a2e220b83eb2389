/**
 * @module The stream-copy processes of recording (Bun.spawn): a long-running ffmpeg (the recorder),
 * a short one (a clip cut), and the ffprobe that tells whether a segment is whole and where its
 * keyframes are. ffmpeg's last stderr lines are kept, scrubbed of credentials, for the log.
 */
import { RingBuffer } from './frames';
import { BoxSplitter, mimeOf, readInit } from './fmp4';
import { scrub } from '../shared/scrub';

const FFMPEG = process.env.FOVEA_FFMPEG ?? 'ffmpeg';
const FFPROBE = process.env.FOVEA_FFPROBE ?? 'ffprobe';

export interface CopyProcess {
  readonly pid: number;
  /** SIGKILL, or SIGINT: ffmpeg then finishes the file it writes (its index) and exits. */
  kill(signal?: 'SIGINT' | 'SIGKILL'): void;
  /** Its exit code and last stderr lines. */
  readonly exited: Promise<{ code: number | null; stderr: string[] }>;
}

export type SpawnCopy = (args: string[]) => CopyProcess;

/** ffmpeg with these arguments, under `nice` (recording must not slow analysis), in UTC (segment names). */
export const spawnCopy: SpawnCopy = (args) => {
  const proc = Bun.spawn(['nice', '-n', '5', FFMPEG, ...args], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    env: { ...process.env, TZ: 'UTC' },
  });
  const ring = new RingBuffer(20);
  const exited = (async () => {
    let rest = '';
    for await (const chunk of proc.stderr) {
      const lines = (rest + new TextDecoder().decode(chunk)).split(/\r?\n|\r/);
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) ring.push(scrub(l));
    }
    if (rest.trim()) ring.push(scrub(rest));
    await proc.exited;
    return { code: proc.exitCode, stderr: ring.all };
  })();
  return { pid: proc.pid, kill: (signal = 'SIGKILL') => proc.kill(signal), exited };
};

export interface SegmentProbe {
  durationS: number;
  codec: string;
  width: number | null;
  height: number | null;
  /** Keyframe times in seconds from the segment's start. */
  keyframes: number[];
}

interface ProbeJson {
  format?: { duration?: string };
  streams?: Array<{ codec_name?: string; width?: number; height?: number }>;
  packets?: Array<{ pts_time?: string; flags?: string }>;
}

/** Read ffprobe's answer: null unless it names a video stream, a duration and a keyframe. Pure. */
export function parseSegmentProbe(text: string): SegmentProbe | null {
  let j: ProbeJson;
  try {
    j = JSON.parse(text) as ProbeJson;
  } catch {
    return null;
  }
  const s = j.streams?.[0];
  const durationS = Number(j.format?.duration);
  const keyframes = (j.packets ?? [])
    .filter((p) => p.flags?.startsWith('K'))
    .map((p) => Number(p.pts_time))
    .filter(Number.isFinite);
  if (!s?.codec_name || !(durationS > 0) || !keyframes.length) return null;
  return { durationS, codec: s.codec_name, width: s.width ?? null, height: s.height ?? null, keyframes };
}

/** ffprobe's arguments for a segment: its packets' times and flags (no decode), its stream and duration. */
export const probeArgs = (path: string) => [
  '-v',
  'error',
  '-select_streams',
  'v:0',
  '-show_entries',
  'format=duration:stream=codec_name,width,height:packet=pts_time,flags',
  '-of',
  'json',
  path,
];

/** Probe a segment's packets (no decode): null when it is not a whole MP4 (being written, or cut by a crash). */
export async function probeSegment(path: string): Promise<SegmentProbe | null> {
  const proc = Bun.spawn([FFPROBE, ...probeArgs(path)], { stdin: 'ignore', stdout: 'pipe', stderr: 'ignore' });
  const text = await new Response(proc.stdout).text();
  return (await proc.exited) === 0 ? parseSegmentProbe(text) : null;
}

/** Recorded video as fragmented MP4 for a browser's Media Source: its codec string, and the bytes as they come. */
export interface Playback {
  mime: string;
  /** From the init segment on; read at the player's pace (ffmpeg waits on the pipe); cancel stops ffmpeg. */
  body: ReadableStream<Uint8Array>;
}

/**
 * ffmpeg writing fragmented MP4 to stdout: waits for the init segment to read its codec, then hands
 * the stream over with what was read already in front.
 */
export async function spawnPlayback(args: string[]): Promise<Playback> {
  const proc = Bun.spawn(['nice', '-n', '5', FFMPEG, ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const reader = proc.stdout.getReader();
  const head: Uint8Array[] = [];
  const boxes = new BoxSplitter();
  let mime: string | null = null;
  while (!mime) {
    const { value, done } = await reader.read();
    if (done) {
      const err = (await new Response(proc.stderr).text()).trim().split('\n').at(-1);
      throw new Error(`recorded video could not be read: ${scrub(err ?? `ffmpeg exited with ${proc.exitCode}`)}`);
    }
    head.push(value);
    for (const b of boxes.push(value)) {
      if (b.type !== 'moov') continue;
      const info = readInit(b.bytes);
      mime = info.codec ? mimeOf(info) : `video/mp4; codecs="${info.format}"`;
    }
  }
  void new Response(proc.stderr).text().catch(() => undefined);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const h of head) c.enqueue(h);
    },
    async pull(c) {
      const { value, done } = await reader.read();
      if (done) c.close();
      else c.enqueue(value);
    },
    cancel() {
      proc.kill('SIGKILL');
    },
  });
  return { mime, body };
}
