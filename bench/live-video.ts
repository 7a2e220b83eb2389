/**
 * @module bench live-video: what one watched stream costs the box, in CPU seconds per second of video,
 * for a 1080p30 H.264 camera (a clip made here with libx264, keyframe every second, played at its
 * own rate with -re for 10 s): fovea's remux (the H.264 copied into fragmented MP4, the exact
 * arguments the appliance uses), against the bare demux of the same file (the floor) and against
 * what `node-rtsp-stream` does (ffmpeg re-encoding to MPEG-1 for JSMpeg, its own arguments).
 * Median of 3 runs each.
 */
import { join } from 'node:path';
import { remuxArgs } from '../appliance/decode/ffmpeg-args';
import { tempDir } from '../test/helpers/fixtures';
import { median, row } from './lib/stats';

const SECONDS = 10;
const RUNS = 3;

async function cpuOf(args: string[]): Promise<{ cpuPct: number; bytes: number }> {
  const t0 = performance.now();
  const p = Bun.spawn(['ffmpeg', ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'ignore' });
  let bytes = 0;
  for await (const c of p.stdout) bytes += c.length;
  if ((await p.exited) !== 0) throw new Error(`bench live-video: ffmpeg ${args.join(' ')} failed`);
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = Number(p.resourceUsage()!.cpuTime.total) / 1e6;
  return { cpuPct: (cpuS / wallS) * 100, bytes };
}

export async function liveVideoBench(): Promise<string[]> {
  await using dir = await tempDir('fovea-bench-');
  const clip = join(dir.path, 'cam1080p30.mp4');
  const make = Bun.spawnSync(
    ['ffmpeg', '-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30`, '-t', String(SECONDS)].concat([
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      '30',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]),
  );
  if (make.exitCode !== 0) throw new Error('bench live-video: could not make the 1080p clip');
  const src = { kind: 'file' as const, path: clip, display: clip };
  const fovea = remuxArgs(src, { seekS: null, loop: false, timeoutS: 5, fragmentMs: 200 });
  const cases: Array<[string, string[]]> = [
    ['(a) bare: demux only, -re, no output', ['-v', 'error', '-re', '-i', clip, '-c', 'copy', '-f', 'null', '-']],
    ['(b) fovea: H.264 copied to fMP4 (per watched stream)', ['-v', 'error', ...fovea.slice(4)]],
    [
      '(c) node-rtsp-stream: MPEG-1 re-encode for JSMpeg (per stream)',
      [
        '-v',
        'error',
        '-re',
        '-i',
        clip,
        '-f',
        'mpegts',
        '-codec:v',
        'mpeg1video',
        '-b:v',
        '1000k',
        '-bf',
        '0',
        'pipe:1',
      ],
    ],
  ];
  const out: string[] = [];
  const results: Record<string, number> = {};
  for (const [what, args] of cases) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await cpuOf(args));
    const cpu = median(runs.map((r) => r.cpuPct));
    results[what[1]!] = cpu;
    const kbps = (median(runs.map((r) => r.bytes)) * 8) / 1000 / SECONDS;
    out.push(row(['1080p30, 10 s', what, cpu.toFixed(1), kbps ? kbps.toFixed(0) : '-', '']));
  }
  const ratio = (results.c! / results.b!).toFixed(0);
  out.push(row(['', `(c) / (b): the re-encode costs ${ratio}× the remux`, '', '', '']));
  return out;
}
