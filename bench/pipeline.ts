/**
 * @module Pipeline throughput, in one run on the same inputs: (a) bare ffmpeg decoding to the model
 * size into a pipe, (b) bare onnxruntime on those frames, (c) the practical limit: a minimal loop
 * piping (a) into (b) and nothing else, then fovea's full pipeline (detect, track, events, store)
 * on 1 and 2 concurrent streams. Every frame is analysed (files read with backpressure), so fps are
 * comparable. Latency is from a frame decoded to its result stored.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ffmpegArgs, type OutputSpec } from '../appliance/decode/ffmpeg-args';
import { FrameSplitter } from '../appliance/decode/frames';
import { toTensor } from '../appliance/inference/preprocess';
import { openLocalSession } from '../appliance/inference/onnx-session';
import { findModel } from '../appliance/models/catalog';
import { verifiedPath } from '../appliance/models/pull';
import type { ResultSink } from '../appliance/pipeline/sink';
import { MODELS_DIR, VIDEOS, ensureModel, startAppliance, stream, tempDir, waitFor } from '../test/helpers/fixtures';
import { builtinCatalog } from '../appliance/models/catalog';
import { testPatternClip } from '../test/helpers/media';
import { median, percentile, row } from './lib/stats';

const SPEC: OutputSpec = {
  width: 416,
  height: 416,
  pixfmt: 'bgr24',
  fps: 0,
  fit: { mode: 'letterbox', align: 'top-left', pad: 114 },
};
const FRAME = 416 * 416 * 3;

/** System-wide busy CPU (all cores) as a fraction of one core, between two readings. */
function cpuTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
const cores = navigator.hardwareConcurrency;
const cpuPct = (a: ReturnType<typeof cpuTicks>, b: ReturnType<typeof cpuTicks>) =>
  Math.round(((b.busy - a.busy) / (b.total - a.total)) * cores * 100);

/** Peak RSS of this process and its children (ffmpeg), MB, sampled until stop() is called. */
function rssSampler() {
  let peak = 0;
  const t = setInterval(() => {
    const kids = Bun.spawnSync(['ps', '-o', 'rss=', '--ppid', String(process.pid)])
      .stdout.toString()
      .split('\n')
      .map(Number)
      .filter(Boolean);
    peak = Math.max(peak, process.memoryUsage().rss / 1e6 + kids.reduce((a, b) => a + b, 0) / 1e3);
  }, 200);
  return {
    stop: () => {
      clearInterval(t);
      return Math.round(peak);
    },
  };
}

/** ffmpeg's arguments for the bare baselines: the appliance's own argv, file input, no hwaccel. */
const decodeArgs = (clip: string) =>
  ffmpegArgs({ kind: 'file', path: clip, display: clip }, SPEC, {
    hwaccel: 'none',
    realtime: false,
    loop: false,
    timeoutS: 10,
    threads: 2,
  });

async function bareFfmpeg(clip: string, keep: number): Promise<{ fps: number; frames: Uint8Array[]; n: number }> {
  const args = decodeArgs(clip);
  const t0 = performance.now();
  const p = Bun.spawn(['ffmpeg', ...args], { stdout: 'pipe', stderr: 'ignore' });
  const split = new FrameSplitter(FRAME);
  const frames: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of p.stdout)
    for (const f of split.push(chunk)) {
      n++;
      if (frames.length < keep) frames.push(f);
    }
  await p.exited;
  return { fps: n / ((performance.now() - t0) / 1000), frames, n };
}

async function yolox() {
  const catalog = builtinCatalog();
  const m = findModel(catalog, 'yolox-nano@1');
  // Bare onnxruntime: in this thread, no worker, as a plain script would use it.
  const { session: s } = await openLocalSession(await verifiedPath(m, MODELS_DIR), {
    providers: ['cpu'],
    threads: 0,
    ref: 'bench',
  });
  const run = (px: Uint8Array) =>
    s.run({ images: { data: toTensor(px, 416, 416, { ...m.input, color: 'RGB' }), dims: [1, 3, 416, 416] } }, [
      'output',
    ]);
  return { run, close: () => s.close() };
}

async function bareOrt(frames: Uint8Array[]): Promise<number> {
  const m = await yolox();
  for (let i = 0; i < 5; i++) await m.run(frames[i % frames.length]!);
  const t0 = performance.now();
  for (const f of frames) await m.run(f);
  await m.close();
  return frames.length / ((performance.now() - t0) / 1000);
}

async function minimalLoop(clip: string): Promise<number> {
  const m = await yolox();
  const args = decodeArgs(clip);
  const t0 = performance.now();
  const p = Bun.spawn(['ffmpeg', ...args], { stdout: 'pipe', stderr: 'ignore' });
  const split = new FrameSplitter(FRAME);
  let n = 0;
  for await (const chunk of p.stdout)
    for (const f of split.push(chunk)) {
      await m.run(f);
      n++;
    }
  await p.exited;
  await m.close();
  return n / ((performance.now() - t0) / 1000);
}

async function fovea(
  clip: string,
  fps: number,
  streams: number,
  realtime = false,
): Promise<{ fps: number; lat: number[]; cpu: number; rss: number }> {
  const lat: number[] = [];
  const ids = Array.from({ length: streams }, (_, i) => `s${i}`);
  await using app = await startAppliance({
    api: { rate_limit_per_minute: 1_000_000 },
    streams: ids.map((id) =>
      // Every frame stored (not only those with detections), so each one has a decoded -> stored time.
      stream({
        id,
        url: clip,
        pipeline: 'objects',
        fps,
        realtime,
        overrides: { 'events.count': false, 'store.empty_frames': true },
      }),
    ),
  });
  // Measure decode -> stored on the real sink.
  const sink = app.rt.sink as ResultSink;
  const inner = sink.frame.bind(sink);
  sink.frame = async (r) => {
    await inner(r);
    lat.push(Date.now() - r.timestamp.getTime());
  };
  // The streams started before the wrapper: restart them on it so every frame is measured.
  await app.rt.streams.stop();
  const c0 = cpuTicks();
  const rss = rssSampler();
  const t0 = performance.now();
  await app.rt.streams.start(app.rt.config.streams);
  const done = await waitFor(
    () => {
      const v = app.rt.streams.list();
      return v.every((s) => s.state === 'stopped') && v;
    },
    600_000,
    'streams to finish',
  );
  const secs = (performance.now() - t0) / 1000;
  return {
    fps: done.reduce((n, v) => n + v.frames_analysed, 0) / secs,
    lat,
    cpu: cpuPct(c0, cpuTicks()),
    rss: rss.stop(),
  };
}

/** p50 / p99 of decoded -> stored, or why there is none (never NaN). */
const latency = (lat: number[]) =>
  lat.length ? `${median(lat)} / ${percentile(lat, 99)}` : 'none: no frame reached the store';

export async function pipelineBench(): Promise<string[]> {
  await ensureModel();
  await using dir = await tempDir('fovea-bench-');
  const hd = await testPatternClip(dir.path, { seconds: 10 });
  // fps = the source rate: every frame analysed, as in (a), (b) and (c).
  const clips: Array<[string, string, number]> = [
    ['1080p60 H.264 (testsrc2, 10 s, 600 frames)', hd, 60],
    ['768x432 real (car-detection.mp4, 30 s, 375 frames)', join(VIDEOS, 'car-detection.mp4'), 12.5],
  ];
  const out: string[] = [];
  for (const [label, clip, fps] of clips) {
    const a = await bareFfmpeg(clip, 100);
    const b = await bareOrt(a.frames);
    const c = await minimalLoop(clip);
    out.push(
      row([
        label,
        '(a) ffmpeg alone: decode + scale/letterbox to 416x416 BGR into a pipe',
        a.fps.toFixed(1),
        '',
        '',
        '',
        '',
        '',
      ]),
    );
    out.push(
      row([label, '(b) onnxruntime alone: YOLOX-nano on 100 of those frames', b.toFixed(1), '', '', '', '', '']),
    );
    out.push(
      row([
        label,
        '(c) minimal loop: (a) piped into (b), nothing else',
        c.toFixed(1),
        '1.00',
        (c / Math.min(a.fps, b)).toFixed(2),
        '',
        '',
        '',
      ]),
    );
    for (const n of [1, 2]) {
      const f = await fovea(clip, fps, n);
      out.push(
        row([
          label,
          `fovea, ${n} stream${n > 1 ? 's' : ''}, as fast as it goes: detect, track, events, store`,
          f.fps.toFixed(1),
          (f.fps / c).toFixed(2),
          (f.fps / Math.min(a.fps, b)).toFixed(2),
          `(queue wait) ${latency(f.lat)}`,
          `${f.cpu}`,
          `${f.rss}`,
        ]),
      );
    }
    // Latency as a camera sees it: paced at the source rate, 2 streams.
    const live = await fovea(clip, fps, 2, true);
    out.push(
      row([
        label,
        `fovea, 2 streams paced at ${fps} fps (live): detect, track, events, store`,
        live.fps.toFixed(1),
        '',
        '',
        latency(live.lat),
        `${live.cpu}`,
        `${live.rss}`,
      ]),
    );
  }
  return out;
}
