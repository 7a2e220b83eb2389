/**
 * @module bench recording: what recording costs and how fast clips come back. A 1080p30 H.264
 * camera (a 30 s clip made here with libx264, a keyframe every second, played at its rate with -re):
 * (a) the bare copy, `ffmpeg -re -i cam -c copy out.mp4`, against (b) fovea's recorder (the exact
 * arguments the appliance uses: stream copy into 10 s MP4 segments, +faststart) plus the
 * maintainer's ffprobe of each segment; then the segments indexed by the real maintainer into
 * DuckDB and 30 s clips cut through the real recordings service and served over HTTP with
 * Range support, a different range each time (nothing cached): time to first byte and to the whole
 * file. Medians of 3 runs for CPU, 20 clips for latency.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { recordArgs } from '../appliance/record/segments';
import { probeArgs, probeSegment, spawnCopy } from '../appliance/decode/copy';
import { pictureOutput } from '../appliance/decode/ffmpeg-args';
import { sharpImaging } from '../appliance/imaging/sharp';
import { cacheOf, Maintainer } from '../appliance/record/maintainer';
import { Recordings } from '../appliance/record/service';
import { RecordingStore } from '../appliance/store/recordings';
import { Db } from '../appliance/store/duckdb';
import { migrate } from '../appliance/store/migrate';
import { clipResponse } from '../appliance/api/recordings';
import { createLogger } from '../appliance/shared/log';
import { realTimers } from '../appliance/shared/timers';
import type { Recorder } from '../appliance/record/recorder';
import { tempDir } from '../test/helpers/fixtures';
import { median, ms, percentile, row } from './lib/stats';

const SECONDS = 30;
const RUNS = 3;
const CLIPS = 20;

async function cpuOf(cmd: string[], env?: Record<string, string>): Promise<{ cpuS: number; wallS: number }> {
  const t0 = performance.now();
  const p = Bun.spawn(cmd, { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', env: { ...process.env, ...env } });
  if ((await p.exited) !== 0) throw new Error(`bench recording: ${cmd.join(' ')} failed`);
  return { cpuS: Number(p.resourceUsage()!.cpuTime.total) / 1e6, wallS: (performance.now() - t0) / 1000 };
}

export async function recordingBench(): Promise<string[]> {
  await using dir = await tempDir('fovea-bench-rec-');
  const clip = join(dir.path, 'cam1080p30.mp4');
  const make = Bun.spawnSync(
    ['ffmpeg', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-t', String(SECONDS)].concat([
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
  if (make.exitCode !== 0) throw new Error('bench recording: could not make the 1080p clip');
  const out: string[] = [];
  const bare: number[] = [];
  const fovea: number[] = [];
  let cache = '';
  for (let i = 0; i < RUNS; i++) {
    const b = await cpuOf([
      'ffmpeg',
      '-v',
      'error',
      '-re',
      '-i',
      clip,
      '-c',
      'copy',
      '-y',
      join(dir.path, `bare${i}.mp4`),
    ]);
    bare.push((b.cpuS / b.wallS) * 100);
    const recs = join(dir.path, `recs${i}`);
    cache = cacheOf(recs, 'cam');
    await mkdir(cache, { recursive: true });
    const args = recordArgs(
      { kind: 'file', path: clip, display: clip },
      { cacheDir: cache, segmentS: 10, timeoutS: 5, loop: false },
    );
    const r = await cpuOf(['ffmpeg', ...args], { TZ: 'UTC' });
    let probeS = 0;
    for (const n of await readdir(cache)) probeS += (await cpuOf(['ffprobe', ...probeArgs(join(cache, n))])).cpuS;
    fovea.push(((r.cpuS + probeS) / r.wallS) * 100);
  }
  // One input for analysis and recording, or one process each: the decoder (5 fps at the model's
  // size, as a people pipeline asks) alone, then with the segments as a second output of the same ffmpeg.
  const decode = ['-vf', 'fps=5,scale=416:234', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-y', '/dev/null'];
  const alone: number[] = [];
  const both: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const d = await cpuOf(['ffmpeg', '-v', 'error', '-re', '-i', clip, ...decode]);
    alone.push((d.cpuS / d.wallS) * 100);
    const c2 = join(dir.path, `one${i}`);
    await mkdir(c2, { recursive: true });
    const seg = recordArgs(
      { kind: 'file', path: clip, display: clip },
      { cacheDir: c2, segmentS: 10, timeoutS: 5, loop: false },
    );
    const one = await cpuOf(
      ['ffmpeg', '-v', 'error', '-re', '-i', clip, ...decode, ...seg.slice(seg.indexOf('-map'))],
      { TZ: 'UTC' },
    );
    both.push((one.cpuS / one.wallS) * 100);
  }
  // Snapshots at the camera's resolution: the same decoder writing each analysed frame as JPEG too.
  const withPictures: number[] = [];
  const outSpec = { width: 416, height: 234, pixfmt: 'bgr24' as const, fps: 5, fit: { mode: 'stretch' as const } };
  for (let i = 0; i < RUNS; i++) {
    const pic = await cpuOf([
      'ffmpeg',
      '-v',
      'error',
      '-re',
      '-i',
      clip,
      ...decode,
      ...pictureOutput(outSpec, 1920, false).slice(0, -1),
      '-y',
      '/dev/null',
    ]);
    withPictures.push((pic.cpuS / pic.wallS) * 100);
  }
  const a = median(bare);
  const f = median(fovea);
  out.push(row(['1080p30, 30 s', '(a) bare: ffmpeg -re -c copy to one MP4', a.toFixed(2), '', '']));
  out.push(row(['1080p30, 30 s', "(b) fovea: the recorder's segments + ffprobe of each", f.toFixed(2), '', '']));
  out.push(row(['', '(b) − (a), in % of one core', (f - a).toFixed(2), '', 'target ≤ 3']));
  const d = median(alone);
  const o = median(both);
  out.push(row(['1080p30, 30 s', '(c) the analysis decoder alone (5 fps, 416×234)', d.toFixed(1), '', '']));
  out.push(row(['', '(c) + (b): decoder and recorder, two processes', (d + f).toFixed(1), '', '']));
  out.push(
    row([
      '',
      '(d) one ffmpeg, both outputs (one input)',
      o.toFixed(1),
      '',
      `saves ${(d + f - o).toFixed(1)} % of a core`,
    ]),
  );
  const p = median(withPictures);
  out.push(
    row([
      '',
      '(e) the decoder writing 1080p JPEGs too (snapshots)',
      p.toFixed(1),
      '',
      `+${(p - d).toFixed(1)} % of a core over (c)`,
    ]),
  );
  // What one snapshot costs on top: the box drawn on the 1080p picture (decode, draw, encode).
  const still = join(dir.path, 'still.jpg');
  Bun.spawnSync(['ffmpeg', '-v', 'error', '-i', clip, '-frames:v', '1', '-q:v', '3', '-y', still]);
  const jpeg = new Uint8Array(await Bun.file(still).arrayBuffer());
  const draws: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await sharpImaging.annotateJpeg(jpeg, [{ box: [600, 300, 900, 800], label: 'person' }], 1 << 26);
    draws.push(performance.now() - t);
  }
  out.push(
    row([
      '1080p JPEG',
      'a snapshot: its box drawn (ms)',
      ms(median(draws)),
      ms(percentile(draws, 95)),
      'per event track, once',
    ]),
  );

  // Clips: the last run's segments, indexed by the real maintainer, cut by the real service, over HTTP.
  const db = await Db.open(join(dir.path, 'bench.duckdb'));
  await migrate(db);
  const store = new RecordingStore(db);
  const recsDir = join(cache, '..', '..');
  const log = createLogger({ test: true });
  const stopped = { running: false, holding: false, hold() {}, release() {} } as unknown as Recorder;
  const deps = {
    dir: recsDir,
    index: store,
    spans: async () => [],
    probe: probeSegment,
    minFreeBytes: 0,
    revision: () => null,
    timers: realTimers,
    log,
  };
  const m = new Maintainer(deps, [
    {
      id: 'cam',
      mode: 'continuous',
      preS: 0,
      postS: 0,
      retain: { days: 30, detections_days: 30, alerts_days: 30 },
      recorder: stopped,
    },
  ]);
  await m.recover();
  await m.pass();
  const segs = await store.segments('cam');
  const service = new Recordings({ ...deps, spawn: spawnCopy, intervalS: 3600 });
  await service.start([]);
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const u = new URL(req.url);
      const c = await service.clip('cam', Number(u.searchParams.get('start')), Number(u.searchParams.get('end')));
      return clipResponse(req, 'cam', c, false);
    },
  });
  const first: number[] = [];
  const whole: number[] = [];
  const t0 = segs[0]!.start;
  const span = segs.at(-1)!.end - t0;
  for (let i = 0; i < CLIPS; i++) {
    // 30 s, or all there is when less is recorded; each range a little later (a new cut every time).
    const len = Math.min(30_000, span - CLIPS * 10);
    const start = t0 + i * 10;
    const t = performance.now();
    const res = await fetch(`http://127.0.0.1:${server.port}/?start=${start}&end=${start + len}`);
    const reader = res.body!.getReader();
    let got = await reader.read();
    first.push(performance.now() - t);
    while (!got.done) got = await reader.read();
    whole.push(performance.now() - t);
  }
  server.stop(true);
  await service.stop();
  db.close();
  out.push(
    row([
      `1080p30 clip of ${(Math.min(30_000, span) / 1000).toFixed(0)} s`,
      'time to first byte (ms)',
      ms(median(first)),
      ms(percentile(first, 95)),
      `p95; ${segs.length} segments`,
    ]),
  );
  out.push(
    row(['', 'time to the whole file (ms)', ms(median(whole)), ms(percentile(whole, 95)), 'p95; target whole ≤ 1000']),
  );
  return out;
}
