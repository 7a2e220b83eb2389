/**
 * @module The live-video remux process (Bun.spawn): ffmpeg copies a source's H.264 into fragmented MP4
 * on stdout, cut here into an init segment and fragments. It runs under `nice` so that, on a busy box,
 * the analysis decoders and inference come first. Also the duration probe a file's viewer starts from.
 */
import { BoxSplitter, FragmentAssembler, type Piece } from './fmp4';
import { RingBuffer } from './frames';
import { scrub } from '../shared/scrub';

export interface RemuxHandlers {
  piece(p: Piece): void;
  exit(info: { code: number | null; stderr: string[] }): void;
}

export interface RemuxProcess {
  kill(): void;
  readonly pid: number;
}

export type SpawnRemux = (args: string[], h: RemuxHandlers) => RemuxProcess;

const FFMPEG = process.env.FOVEA_FFMPEG ?? 'ffmpeg';
const FFPROBE = process.env.FOVEA_FFPROBE ?? 'ffprobe';

export const spawnRemux: SpawnRemux = (args, h) => {
  const proc = Bun.spawn(['nice', '-n', '10', FFMPEG, ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const ring = new RingBuffer(10);
  const out = (async () => {
    const boxes = new BoxSplitter();
    const pieces = new FragmentAssembler();
    try {
      for await (const chunk of proc.stdout) {
        for (const box of boxes.push(chunk)) {
          const p = pieces.push(box);
          if (p) h.piece(p);
        }
      }
    } catch (e) {
      ring.push(`fovea: ${(e as Error).message}`);
      proc.kill('SIGKILL');
    }
  })();
  const err = (async () => {
    const text = await new Response(proc.stderr).text();
    for (const line of text.split(/\r?\n/)) if (line.trim()) ring.push(scrub(line));
  })();
  void Promise.all([out, err, proc.exited]).then(() => h.exit({ code: proc.exitCode, stderr: ring.all }));
  return { kill: () => proc.kill('SIGKILL'), pid: proc.pid };
};

/** A video file's duration in seconds (null when ffprobe cannot tell). */
export async function probeDurationS(path: string): Promise<number | null> {
  const proc = Bun.spawn([FFPROBE, '-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'ignore',
  });
  const text = await new Response(proc.stdout).text();
  await proc.exited;
  const d = Number.parseFloat(text);
  return Number.isFinite(d) && d > 0 ? d : null;
}
