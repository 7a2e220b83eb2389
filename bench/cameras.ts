/**
 * @module bench cameras: how many cameras one box analyses, with motion gating off and on (issue 31).
 * The shared person, car and bottle clips, each with an idle stretch before it (the empty first five
 * seconds of the person video repeated; a still first frame with sensor-like noise for the others),
 * so three quarters of a camera's time shows nothing new, as most surveillance cameras. Each is
 * played as a live camera (real time, looping) sampled at 5 fps, at the clip's resolution and as a
 * 1080p upscale. N cameras on one appliance: a count passes when, over a 30 s window after warm-up,
 * no frame is dropped, every camera analyses its 5 fps, and the machine's CPU stays under 90 %. The
 * largest passing N is found by doubling, then bisecting. Gating off is the same pipeline with the
 * detector on every frame (the motion stage still runs, so the difference is the gating alone).
 */
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS_DIR, startAppliance, stream, tempDir, VIDEOS, waitFor } from '../test/helpers/fixtures';
import { foveaCli } from '../test/helpers/process';
import { gatingPipeline, parseGoldenReport, type GoldenLine } from '../test/helpers/gating';
import { row } from './lib/stats';

const FPS = 5;
const WINDOW_S = 30;
const WARMUP_S = 12;
const CPU_LIMIT = 90;

function cpuTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  return { busy: f.reduce((a, b) => a + b, 0) - idle, total: f.reduce((a, b) => a + b, 0) };
}

async function ffmpeg(args: string[]): Promise<void> {
  const p = Bun.spawn(['ffmpeg', '-v', 'error', '-y', ...args], { stderr: 'pipe' });
  if ((await p.exited) !== 0)
    throw new Error(`bench cameras: ffmpeg ${args.join(' ')}: ${await new Response(p.stderr).text()}`);
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
export async function makeClips(dir: string, scale: string | null): Promise<Clip[]> {
  const enc = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p'];
  const sz = scale ? `,scale=${scale}` : '';
  const tag = scale ? '1080p' : 'native';
  const person = join(dir, `person-${tag}.mp4`);
  const idle = [...Array(12).keys()];
  await ffmpeg([
    '-i',
    join(VIDEOS, 'one-by-one-person-detection.mp4'),
    '-filter_complex',
    `[0:v]split=13${[...idle, 12].map((i) => `[s${i}]`).join('')};${idle.map((i) => `[s${i}]trim=0:5,setpts=PTS-STARTPTS[i${i}]`).join(';')};[s12]trim=6:26,setpts=PTS-STARTPTS[busy];${idle.map((i) => `[i${i}]`).join('')}[busy]concat=n=13:v=1:a=0${sz}[v]`,
    '-map',
    '[v]',
    ...enc,
    person,
  ]);
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
  const sizes: Array<[string, string | null]> = [
    ['clips at their size (768x432, 640x360)', null],
    ['1080p upscales', '1920:1080'],
  ];
  for (const [label, scale] of sizes) {
    const clips = await makeClips(dir.path, scale);
    if (!scale) out.push(...(await goldenRows(dir.path, pipelines, clips, label)));
    const found: Record<string, Trial | null> = {};
    for (const mode of ['plain', 'gated'] as const) {
      const { best, fail } = await largest(
        (n) => trial(pipelines, clips, n, mode),
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
    out.push(row([label, 'gated / off', '', '', '', off ? `${(on / off).toFixed(1)}x the cameras` : '']));
  }
  return out;
}
