/**
 * @module bench cameras: how many cameras one box analyses, with motion gating off and on (issue 31).
 * The shared person, car and bottle clips, each with an idle stretch before it (the empty first five
 * seconds of the person video repeated; a still first frame with sensor-like noise for the others),
 * so three quarters of a camera's time shows nothing new, as most surveillance cameras. Each is
 * played as a live camera (real time, looping) sampled at 5 fps, at the clip's resolution and as a
 * 1080p upscale; the cameras take the clips in turn, each clip started at one of four points of its
 * loop, so the busy stretches are spread over the cameras as they would be. N cameras on one appliance: a count passes when, over a 40 s window after warm-up,
 * no frame is dropped, every camera analyses its 5 fps, and the machine's CPU stays under 90 %. The
 * largest passing N is found by doubling, then bisecting. Gating off is the same pipeline with the
 * detector on every frame (the motion stage still runs, so the difference is the gating alone).
 */
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS_DIR, startAppliance, stream, tempDir, VIDEOS, waitFor } from '../test/helpers/fixtures';
import { foveaCli } from '../test/helpers/process';
import {
  ffmpeg,
  gatingPipeline,
  idleThenPeople,
  parseGoldenReport,
  QUICK_H264,
  type GoldenLine,
} from '../test/helpers/gating';
import { row } from './lib/stats';
import { ffmpegArgs, type OutputSpec } from '../appliance/decode/ffmpeg-args';

const FPS = 5;
const WINDOW_S = 40;
/** Each clip in this many versions, each started a fraction of the way in, so the cameras' busy stretches do not all fall together. */
const PHASES = 4;
const WARMUP_S = 12;
const CPU_LIMIT = 90;

function cpuTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  return { busy: f.reduce((a, b) => a + b, 0) - idle, total: f.reduce((a, b) => a + b, 0) };
}

/** The clip started `share` of the way in (what was before it is played after it): a camera's other phase. */
async function phase(dir: string, c: Clip, share: number): Promise<Clip> {
  const probe = Bun.spawnSync(['ffprobe', '-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', c.path]);
  const at = (Number(probe.stdout.toString().trim()) * share).toFixed(2);
  const path = join(dir, `${c.name}-at${at}-${c.path.split('/').at(-1)}`);
  await ffmpeg([
    '-i',
    c.path,
    '-filter_complex',
    `[0:v]split[a][b];[a]trim=start=${at},setpts=PTS-STARTPTS[x];[b]trim=end=${at},setpts=PTS-STARTPTS[y];[x][y]concat=n=2:v=1:a=0[v]`,
    '-map',
    '[v]',
    ...QUICK_H264,
    path,
  ]);
  return { ...c, path };
}

/** Cameras take the clips in turn, each clip in its phases, so at any moment about a quarter of them are busy. */
export async function phased(dir: string, clips: Clip[]): Promise<Clip[]> {
  const cams: Clip[] = [];
  for (let k = 0; k < PHASES; k++) for (const c of clips) cams.push(k ? await phase(dir, c, k / PHASES) : c);
  return cams;
}

export interface Clip {
  name: string;
  path: string;
  /** Which built-in kind of pipeline: people or objects. */
  people: boolean;
}

/**
 * The idle-then-busy clips at a size: `scale` null keeps the source size. 60 s idle, 20 s busy
 * (the car clip: 90 s idle, 30 s busy).
 */
export async function makeClips(dir: string, scale: string | null, fps: number | null = null): Promise<Clip[]> {
  // A sub-stream at `fps` is what Frigate advises for detection: the camera sends only what is analysed.
  const enc = [...QUICK_H264, ...(fps ? ['-r', String(fps)] : [])];
  const sz = scale ? `,scale=${scale}` : '';
  const tag = `${scale ? '1080p' : 'native'}${fps ? `-${fps}fps` : ''}`;
  const person = join(dir, `person-${tag}.mp4`);
  await idleThenPeople(join(VIDEOS, 'one-by-one-person-detection.mp4'), person, 12, sz, fps ? ['-r', String(fps)] : []);
  const still = async (name: string, idleS: number, busyS: number) => {
    const out = join(dir, `${name}-${tag}.mp4`);
    await ffmpeg([
      '-i',
      join(VIDEOS, `${name}-detection.mp4`),
      '-filter_complex',
      `[0:v]split[a][b];[a]trim=start_frame=0:end_frame=1,loop=loop=-1:size=1,setpts=N/FRAME_RATE/TB,trim=0:${idleS},noise=alls=6:allf=t[i];[b]trim=0:${busyS},setpts=PTS-STARTPTS[busy];[i][busy]concat=n=2:v=1:a=0${sz}[v]`,
      '-map',
      '[v]',
      ...enc,
      out,
    ]);
    return out;
  };
  return [
    { name: 'person', path: person, people: true },
    { name: 'car', path: await still('car', 90, 30), people: false },
    { name: 'bottle', path: await still('bottle', 60, 20), people: false },
  ];
}

interface Trial {
  n: number;
  pass: boolean;
  cpu: number;
  dropped: number;
  analysedShare: number;
  skipped: number | null;
}

async function trial(pipelines: string, clips: Clip[], n: number, mode: 'plain' | 'gated'): Promise<Trial> {
  await using app = await startAppliance({
    api: { rate_limit_per_minute: 1_000_000 },
    pipelines: { dir: pipelines },
    streams: Array.from({ length: n }, (_, i) => {
      const c = clips[i % clips.length]!;
      return stream({
        id: `cam${i}`,
        url: c.path,
        pipeline: `${c.people ? 'people' : 'objects'}-${mode}`,
        realtime: true,
        loop: true,
        fps: FPS,
      });
    }),
  });
  await waitFor(() => app.rt.streams.list().every((s) => s.frames_analysed > 0), 120_000, 'every camera analysing');
  await Bun.sleep(WARMUP_S * 1000);
  const before = app.rt.streams.list();
  const c0 = cpuTicks();
  await Bun.sleep(WINDOW_S * 1000);
  const c1 = cpuTicks();
  const after = app.rt.streams.list();
  const by = new Map(before.map((v) => [v.id, v]));
  let dropped = 0;
  let analysed = 0;
  let skipped = 0;
  let gatedFrames = 0;
  for (const v of after) {
    const b = by.get(v.id)!;
    dropped += v.dropped - b.dropped;
    analysed += v.frames_analysed - b.frames_analysed;
    if (v.gating && b.gating) {
      skipped += v.gating.detector_skipped - b.gating.detector_skipped;
      gatedFrames += v.frames_analysed - b.frames_analysed;
    }
  }
  const cpu = Math.round(((c1.busy - c0.busy) / (c1.total - c0.total)) * 100);
  const analysedShare = analysed / (n * FPS * WINDOW_S);
  return {
    n,
    pass: dropped === 0 && cpu < CPU_LIMIT && analysedShare >= 0.95,
    cpu,
    dropped,
    analysedShare,
    skipped: gatedFrames ? skipped / gatedFrames : null,
  };
}

/**
 * The floor under the appliance: `n` bare decoders, the appliance's own ffmpeg arguments for the
 * cameras (real time, looping, sampled at 5 fps, letterboxed to 416), output thrown away. CPU % of
 * the machine over the window.
 */
export async function bareDecoders(cams: Clip[], n: number): Promise<number> {
  const spec: OutputSpec = {
    width: 416,
    height: 416,
    pixfmt: 'bgr24',
    fps: FPS,
    fit: { mode: 'letterbox', align: 'top-left', pad: 114 },
  };
  const procs = Array.from({ length: n }, (_, i) => {
    const c = cams[i % cams.length]!;
    const args = ffmpegArgs({ kind: 'file', path: c.path, display: c.path }, spec, {
      hwaccel: 'none',
      realtime: true,
      loop: true,
      timeoutS: 10,
      threads: 2,
    });
    return Bun.spawn(['ffmpeg', ...args], { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
  });
  await Bun.sleep(5000);
  const c0 = cpuTicks();
  await Bun.sleep(20_000);
  const c1 = cpuTicks();
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
  return Math.round(((c1.busy - c0.busy) / (c1.total - c0.total)) * 100);
}

/** The largest passing count: double from `start` until one fails, then bisect. */
async function largest(
  run: (n: number) => Promise<Trial>,
  start: number,
  log: (t: Trial) => void,
): Promise<{ best: Trial | null; fail: Trial | null }> {
  let best: Trial | null = null;
  let fail: Trial | null = null;
  let n = start;
  for (;;) {
    const t = await run(n);
    log(t);
    if (!t.pass) {
      fail = t;
      break;
    }
    best = t;
    n *= 2;
  }
  let lo = best?.n ?? 0;
  let hi = fail.n;
  while (hi - lo > 1 && (hi - lo) / hi > 0.1) {
    const mid = Math.floor((lo + hi) / 2);
    const t = await run(mid);
    log(t);
    if (t.pass) {
      best = t;
      lo = mid;
    } else {
      fail = t;
      hi = mid;
    }
  }
  return { best, fail };
}

/** Each clip through `fovea fleet validate --golden`, gating off and on: its events, and the share of frames skipped. */
async function goldenRows(dir: string, pipelines: string, clips: Clip[], label: string): Promise<string[]> {
  const repo = join(dir, `repo-${label.replace(/\W+/g, '-')}`);
  await cp(join(import.meta.dir, '../fleet'), repo, { recursive: true });
  await rm(join(repo, 'golden'), { recursive: true });
  await mkdir(join(repo, 'golden'));
  await cp(pipelines, join(repo, 'pipelines'), { recursive: true });
  for (const c of clips)
    for (const mode of ['plain', 'gated'])
      await writeFile(
        join(repo, `golden/${c.name}-${mode}.yaml`),
        `clip:\n  path: ${c.path}\npipeline: ${c.people ? 'people' : 'objects'}-${mode}\nexpect:\n  - label: person\n    count: 0\n    tolerance: 100000\n`,
      );
  const config = join(dir, 'golden.yaml');
  await writeFile(
    config,
    `state_dir: ${join(dir, 'golden-state')}\nmodels:\n  dir: ${MODELS_DIR}\n  providers: [cpu]\n`,
  );
  const v = await foveaCli(['fleet', 'validate', '--golden', '--config', config, repo]);
  const lines = parseGoldenReport(v.out);
  const events = (l: GoldenLine | undefined) =>
    Object.entries(l?.counts ?? {})
      .filter(([k]) => !k.startsWith('count '))
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
  return clips.map((c) => {
    const [off, on] = [lines[`${c.name}-plain`], lines[`${c.name}-gated`]];
    return row([
      label,
      `golden events of the ${c.name} camera's clip`,
      '',
      '',
      on?.skipped != null ? `${on.skipped} %` : '',
      `off: ${events(off)}; on: ${events(on)}`,
    ]);
  });
}

/** The people and objects pipelines, gated and plain, in `<dir>/pipelines`. */
export async function writePipelines(dir: string): Promise<string> {
  const pipelines = join(dir, 'pipelines');
  await mkdir(pipelines);
  for (const gated of [false, true]) {
    const mode = gated ? 'gated' : 'plain';
    await writeFile(join(pipelines, `people-${mode}.yaml`), gatingPipeline({ classes: ['person'], gated }));
    await writeFile(join(pipelines, `objects-${mode}.yaml`), gatingPipeline({ gated }));
  }
  return pipelines;
}

export async function camerasBench(): Promise<string[]> {
  await using dir = await tempDir('fovea-bench-cams-');
  const pipelines = await writePipelines(dir.path);
  const out: string[] = [];
  const sizes: Array<[string, string, string | null, number | null]> = [
    ['native', 'clips at their size and rate (768x432 10 and 12.5 fps, 640x360 30 fps)', null, null],
    ['1080p', '1080p upscales at the clips’ rates', '1920:1080', null],
    ['sub5', 'detect sub-streams at 5 fps (the clips at their size, re-encoded at 5 fps)', null, 5],
  ];
  const only = process.env.FOVEA_BENCH_CAMERAS?.split(',');
  for (const [key, label, scale, fps] of sizes) {
    if (only && !only.includes(key)) continue;
    const clips = await makeClips(dir.path, scale, fps);
    if (key === 'native') out.push(...(await goldenRows(dir.path, pipelines, clips, label)));
    const cams = await phased(dir.path, clips);
    const found: Record<string, Trial | null> = {};
    for (const mode of ['plain', 'gated'] as const) {
      const { best, fail } = await largest(
        (n) => trial(pipelines, cams, n, mode),
        mode === 'plain' ? 4 : 8,
        (t) => console.error(`cameras ${label} ${mode}: ${JSON.stringify(t)}`),
      );
      found[mode] = best;
      out.push(
        row([
          label,
          mode === 'plain' ? 'gating off: detector on every frame' : 'gating on: motion, regions, stationary checks',
          best ? String(best.n) : '0',
          best ? `${best.cpu}` : '',
          best?.skipped != null ? `${Math.round(best.skipped * 100)} %` : '',
          fail
            ? `${fail.n} failed: ${fail.dropped} dropped, CPU ${fail.cpu} %, ${Math.round(fail.analysedShare * 100)} % of frames analysed`
            : '',
        ]),
      );
    }
    const [off, on] = [found.plain?.n ?? 0, found.gated?.n ?? 0];
    if (on)
      out.push(
        row([
          label,
          `bare decoders alone: ${on} ffmpeg, the cameras' own arguments`,
          String(on),
          String(await bareDecoders(cams, on)),
          '',
          'the floor under gating on',
        ]),
      );
    out.push(row([label, 'gated / off', '', '', '', off ? `${(on / off).toFixed(1)}x the cameras` : '']));
  }
  return out;
}
