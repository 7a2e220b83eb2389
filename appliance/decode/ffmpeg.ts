/**
 * @module The ffmpeg process (Bun.spawn; the only place that runs ffmpeg): raw frames from stdout cut
 * at exact boundaries and paired with their pts from showinfo lines on stderr; the last stderr lines
 * kept (scrubbed) for the log when it dies.
 */
import { FrameSplitter, parseInputSize, parseShowinfo, RingBuffer } from './frames';
import { JpegSplitter, PicturePairing, type Picture } from './pictures';
import { scrub } from '../shared/scrub';
import { filtersOf } from './ffmpeg-args';

export interface RawFrame {
  pixels: Uint8Array;
  n: number;
  ptsS: number;
  /** The frame at the source resolution as JPEG (when the decoder writes pictures), or null. */
  picture?: Picture;
}

export interface DecoderHandlers {
  /** May return a promise: reading stdout waits for it (backpressure on a pausable source). */
  frame(f: RawFrame): void | Promise<void>;
  /** The source picture size, once ffmpeg has described its input (before the first frame). */
  source?(size: { width: number; height: number }): void;
  exit(info: { code: number | null; signal: string | null; stderr: string[]; partialBytes: number }): void;
}

export interface DecoderProcess {
  kill(): void;
  readonly pid: number;
}

export type SpawnDecoder = (args: string[], frameBytes: number, h: DecoderHandlers) => DecoderProcess;

const FFMPEG = process.env.FOVEA_FFMPEG ?? 'ffmpeg';

export const spawnFfmpeg: SpawnDecoder = (args, frameBytes, h) => {
  // Source pictures (snapshots at the camera's resolution) come on fd 3 when the args write them.
  const withPictures = args.at(-1) === 'pipe:3';
  const proc = Bun.spawn([FFMPEG, ...args], {
    stdio: withPictures ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
  });
  const pictures = withPictures ? new PicturePairing() : null;
  const readPictures = withPictures
    ? (async () => {
        const jpegs = new JpegSplitter();
        try {
          for await (const chunk of Bun.file(proc.stdio[3] as number).stream())
            for (const j of jpegs.push(chunk)) pictures!.arrived(j);
        } finally {
          pictures!.end();
        }
      })().catch(() => undefined)
    : Promise.resolve();
  const splitter = new FrameSplitter(frameBytes);
  const ring = new RingBuffer(40);
  // stdout and stderr race: pair the n-th frame with the n-th showinfo pts, whichever comes first.
  const frames: Uint8Array[] = [];
  const pts: number[] = [];
  let n = 0;
  let pairing: Promise<void> = Promise.resolve();
  const pair = () => {
    pairing = pairing.then(async () => {
      const picture = () => pictures?.claim(n);
      while (frames.length && pts.length)
        await h.frame({ pixels: frames.shift()!, picture: picture(), n: n++, ptsS: pts.shift()! });
      // showinfo missing or far behind: do not hold frames forever.
      while (frames.length > 8) await h.frame({ pixels: frames.shift()!, picture: picture(), n: n++, ptsS: NaN });
    });
    return pairing;
  };
  const readOut = (async () => {
    for await (const chunk of proc.stdout) {
      frames.push(...splitter.push(chunk));
      await pair();
    }
  })();
  const readErr = (async () => {
    let rest = '';
    for await (const chunk of proc.stderr) {
      const lines = (rest + new TextDecoder().decode(chunk)).split(/\r?\n|\r/);
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const info = parseShowinfo(line);
        if (info) {
          pts.push(info.ptsS);
          pair();
          continue;
        }
        if (line.startsWith('[Parsed_showinfo')) continue;
        const size = parseInputSize(line);
        if (size) h.source?.(size);
        if (line.trim()) ring.push(scrub(line));
      }
    }
    if (rest.trim()) ring.push(scrub(rest));
  })();
  void Promise.all([readOut, readErr, readPictures, proc.exited]).then(async () => {
    await pair();
    h.exit({
      code: proc.exitCode,
      signal: proc.signalCode ? String(proc.signalCode) : null,
      stderr: ring.all,
      partialBytes: splitter.pending,
    });
  });
  return { kill: () => proc.kill('SIGKILL'), pid: proc.pid };
};

/** The filters this ffmpeg has (`ffmpeg -filters`), asked once; empty when ffmpeg cannot be run. */
export async function ffmpegFilters(): Promise<Set<string>> {
  try {
    const p = Bun.spawn([FFMPEG, '-hide_banner', '-filters'], { stdin: 'ignore', stdout: 'pipe', stderr: 'ignore' });
    const text = await new Response(p.stdout).text();
    await p.exited;
    return filtersOf(text);
  } catch {
    return new Set();
  }
}
