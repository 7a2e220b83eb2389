/**
 * @module A golden clip through its real pipeline: the clip found (a path checked against its
 * sha256, or a URL fetched once into a cache by its sha256), the pipeline loaded from the repo's
 * pipelines (or a built-in) with the file's overrides, and the clip read at full speed through the
 * same stream machinery and stages as a live camera. Nothing is stored or published: the results go
 * to a memory sink, there are no snapshots and no publisher. The events of every frame, the end of
 * the clip included, are what the expectations are judged on.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { loadPipeline } from '../pipeline/catalog';
import { instantiate, modelsOf, type RunningPipeline } from '../pipeline/compile';
import { MemorySink } from '../pipeline/sink';
import { GatingCounts, type GatingView } from '../pipeline/gating';
import type { ModelPool } from '../pipeline/models';
import type { Imaging } from '../imaging/port';
import { runClip, type ClipDeps } from '../runs/clip';
import { runDecodeSpec } from '../runs/item';
import { download, type Fetcher } from '../models/pull';
import { AppError, messageOf } from '../shared/errors';
import { judge, readGolden, type GoldenFile, type Observed } from './golden';
import { lineOf } from '../config/validate';
import type { FleetProblem, FleetYaml } from './repo';

export interface GoldenDeps {
  /** The fleet repo checkout: relative clip paths and `pipelines/` are under it. */
  repoDir: string;
  /** Clips fetched by URL, kept by their sha256. */
  cacheDir: string;
  models: ModelPool;
  imaging: Imaging;
  clip: ClipDeps;
  fetcher?: Fetcher;
  /** A directory looked in for a URL's file (by its name, sha256-checked) before it is downloaded: ../shared/media/videos offline. */
  mirror?: string | null;
  signal?: AbortSignal;
  /** Make the catalog models a pipeline needs present (pull them) before it is instantiated. */
  prepare?: (models: string[]) => Promise<void>;
}

export interface GoldenOutcome {
  file: string;
  frames: number;
  ms: number;
  observed: Observed[];
  problems: FleetProblem[];
  /** What motion gating did, when the pipeline's detector is gated on motion. */
  gating: GatingView | null;
}

async function sha256Of(path: string): Promise<string> {
  const h = new Bun.CryptoHasher('sha256');
  for await (const chunk of Bun.file(path).stream()) h.update(chunk);
  return h.digest('hex');
}

/** The clip's local path, verified; fetched into the cache first when it is named by URL. */
export async function clipPath(
  g: GoldenFile,
  d: Pick<GoldenDeps, 'repoDir' | 'cacheDir' | 'fetcher' | 'mirror'>,
): Promise<string> {
  const { path, url, sha256 } = g.clip;
  if (path) {
    const p = isAbsolute(path) ? path : resolve(d.repoDir, path);
    if (!existsSync(p)) throw new AppError('config_invalid', `the clip ${p} does not exist`);
    if (sha256 && (await sha256Of(p)) !== sha256)
      throw new AppError('config_invalid', `the clip ${p} does not match its sha256 ${sha256}`);
    return p;
  }
  const cached = join(d.cacheDir, `${sha256}.mp4`);
  if (existsSync(cached) && (await sha256Of(cached)) === sha256) return cached;
  const mirrored = d.mirror ? join(d.mirror, basename(new URL(url!).pathname)) : null;
  if (mirrored && existsSync(mirrored) && (await sha256Of(mirrored)) === sha256) return mirrored;
  let data: Uint8Array;
  try {
    data = await download('golden clip', url!, d.fetcher ?? fetch);
  } catch (e) {
    throw new AppError('config_invalid', messageOf(e), { cause: e });
  }
  const got = new Bun.CryptoHasher('sha256').update(data).digest('hex');
  if (got !== sha256) throw new AppError('config_invalid', `the clip at ${url} has sha256 ${got}, not ${sha256}`);
  await mkdir(d.cacheDir, { recursive: true });
  await Bun.write(`${cached}.part`, data);
  await rename(`${cached}.part`, cached);
  return cached;
}

/**
 * Run one golden file's clip and judge it. A clip that cannot be had is a problem at its line; a
 * pipeline that cannot run, at the file's top.
 */
export async function runGolden(g: FleetYaml<GoldenFile> & { name: string }, d: GoldenDeps): Promise<GoldenOutcome> {
  const t0 = performance.now();
  const observed: Observed[] = [];
  const gating = new GatingCounts();
  const end = (frames: number, problems: FleetProblem[]): GoldenOutcome => ({
    file: g.file,
    frames,
    ms: Math.round(performance.now() - t0),
    observed,
    problems,
    gating: gating.view(),
  });
  let path: string;
  try {
    path = await clipPath(g.data, d);
  } catch (e) {
    return end(0, [
      { file: g.file, line: lineOf(g.parsed.doc, g.parsed.lc, '/clip'), path: '/clip', message: messageOf(e) },
    ]);
  }
  let running: RunningPipeline | null = null;
  try {
    const pipeline = loadPipeline(join(d.repoDir, 'pipelines'), g.data.pipeline, g.data.overrides);
    await d.prepare?.(modelsOf(pipeline));
    running = await instantiate(pipeline, {
      models: d.models,
      sink: new MemorySink(),
      snapshots: null,
      publisher: null,
      outputs: null,
      imaging: d.imaging,
      streamId: `golden:${g.name}`,
      sessionId: Bun.randomUUIDv7(),
      revision: () => null,
      log: d.clip.log,
    });
    const inner = running;
    // Every frame's events, the end-of-clip frame's too (where the tracker ends what is still in view).
    const watched: RunningPipeline = {
      pipeline: inner.pipeline,
      timings: inner.timings,
      async run(frame) {
        await inner.run(frame);
        if (!frame.final) gating.add(frame);
        for (const e of frame.events)
          if ('label' in e.event) {
            const sub = (e.event as { sub_label?: [string, number] }).sub_label?.[0];
            observed.push({
              type: e.event.type,
              label: e.event.label,
              ptsS: frame.ptsS,
              ...(sub && { subLabel: sub }),
            });
          }
      },
      close: () => inner.close(),
    };
    // The clip's stream owns the pipeline from here, and closes it however it ends.
    running = null;
    const outcome = await runClip(d.clip, {
      stream: `golden:${g.name}`,
      path,
      pipeline: watched,
      spec: runDecodeSpec(pipeline, d.models.catalog),
      signal: d.signal ?? new AbortController().signal,
      analysed: () => {},
    });
    if (outcome.failedFrames > 0)
      return end(outcome.frames, [
        {
          file: g.file,
          line: null,
          path: '/pipeline',
          message: `the pipeline failed on ${outcome.failedFrames} frame(s): ${outcome.lastError}`,
        },
      ]);
    return end(outcome.frames, judge(g, observed));
  } catch (e) {
    await running?.close();
    return end(0, [{ file: g.file, line: null, path: '/', message: messageOf(e) }]);
  }
}

/**
 * Every golden file of a repo checkout, one after another (each at full speed, so never two at
 * once): the outcome of each, told as it ends, and every problem (unreadable files included).
 */
export async function runGoldenSet(
  d: GoldenDeps,
  told?: (o: GoldenOutcome) => void,
): Promise<{ outcomes: GoldenOutcome[]; problems: FleetProblem[] }> {
  const { files, problems } = readGolden(d.repoDir);
  const outcomes: GoldenOutcome[] = [];
  for (const g of files) {
    const o = await runGolden(g, d);
    outcomes.push(o);
    problems.push(...o.problems);
    told?.(o);
  }
  return { outcomes, problems };
}
