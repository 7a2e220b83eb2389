/**
 * @module From a validated pipeline to running stage instances, and the decode size the pipeline
 * needs: the input of its detect model (ffmpeg scales and letterboxes to it, in the model's channel
 * order).
 */
import { dirname, isAbsolute } from 'node:path';
import type { Pipeline } from './file';
import type { StageDeps, StageInstance, Frame } from './types';
import type { OutputSpec } from '../decode/ffmpeg-args';
import { findModel, type Catalog } from '../models/catalog';
import { AppError } from '../shared/errors';
import { retryDelayS } from './retry';

/**
 * Told of each stage's work on each frame (a run's per-step state): started, succeeded, or failed
 * with the seconds until its next attempt (null: no next attempt, the frame fails).
 */
export interface StageObserver {
  started(stage: string, attempt: number): void;
  succeeded(stage: string, ms: number): void;
  failed(stage: string, ms: number, error: unknown, retryInS: number | null): void;
}

export interface InstantiateHooks {
  observer?: StageObserver;
  /** Waits between attempts (a fake clock in unit tests). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The decode geometry: from the preprocess stage when there is one (its options override the
 * catalog), else from the detect model's catalog spec.
 */
/** The catalog models a pipeline's stages use (each stage's `model` option), each once. */
export function modelsOf(p: Pipeline): string[] {
  const refs = p.stages.flatMap((s) => {
    const o = s.options as { model?: unknown; detector?: unknown; recognizer?: unknown };
    // custom/<name> is a head trained on this box, not a catalog model to pull; ocr@1 names two.
    return [o.model, o.detector, o.recognizer].filter(
      (m): m is string => typeof m === 'string' && !m.startsWith('custom/'),
    );
  });
  return [...new Set(refs)];
}

/** A detector gated on motion names a motion@1 stage it needs (directly or through another stage), which runs before it. */
function gateOf(p: Pipeline, detect: Pipeline['stages'][number]): void {
  const gate = (detect.options as { motion?: string }).motion;
  if (!gate) return;
  const motion = p.stages.find((s) => s.name === gate);
  if (motion?.def.type !== 'motion')
    throw new AppError('config_invalid', `${p.file}: detect.motion '${gate}' is not a motion@1 stage of the pipeline`);
  const needed = new Set<string>();
  const visit = (name: string) => {
    for (const n of p.stages.find((s) => s.name === name)?.needs ?? [])
      if (!needed.has(n)) {
        needed.add(n);
        visit(n);
      }
  };
  visit(detect.name);
  if (!needed.has(gate))
    throw new AppError(
      'config_invalid',
      `${p.file}: ${detect.name} is gated on '${gate}': add it to ${detect.name}.needs`,
    );
}

export function decodeSpecOf(p: Pipeline, catalog: Catalog, fps: number): OutputSpec {
  const pre = p.stages.find((s) => s.def.type === 'preprocess');
  const detect = p.stages.find((s) => s.def.type === 'detect');
  const source = pre ?? detect;
  if (!source)
    throw new AppError(
      'config_invalid',
      `${p.file}: a pipeline needs a preprocess or detect stage (it sets the decode size)`,
    );
  const o = source.options as {
    model: string;
    fit?: 'letterbox' | 'stretch';
    pad?: number;
    align?: 'top-left' | 'center';
  };
  const m = findModel(catalog, o.model);
  if (pre && detect && (detect.options as { model: string }).model !== o.model) {
    throw new AppError(
      'config_invalid',
      `${p.file}: preprocess prepares ${o.model} but detect runs ${(detect.options as { model: string }).model}`,
    );
  }
  if (detect) gateOf(p, detect);
  const lb = m.input.letterbox ?? { align: 'top-left' as const, pad: 0 };
  const pixfmt = m.input.color === 'BGR' ? ('bgr24' as const) : ('rgb24' as const);
  // More pixels than the model takes: letterboxed to that size; the detect stage fits or cuts regions.
  const size = (detect?.options as { decode_size?: [number, number] } | undefined)?.decode_size;
  if (size && pre)
    throw new AppError(
      'config_invalid',
      `${p.file}: detect.decode_size and a preprocess stage do not go together (preprocess fixes the decode size to the model's input)`,
    );
  if (size)
    return { width: size[0], height: size[1], pixfmt, fps, fit: { mode: 'letterbox', align: 'top-left', pad: lb.pad } };
  const fit = o.fit ?? (m.input.resize === 'letterbox' ? 'letterbox' : 'stretch');
  return {
    width: m.input.width,
    height: m.input.height,
    pixfmt,
    fps,
    fit:
      fit === 'letterbox'
        ? { mode: 'letterbox', align: o.align ?? lb.align, pad: o.pad ?? lb.pad }
        : { mode: 'stretch' },
  };
}

export interface RunningPipeline {
  pipeline: Pipeline;
  /** Mean milliseconds per stage over recent frames. */
  timings: Record<string, number>;
  run(frame: Frame): Promise<void>;
  close(): Promise<void>;
}

/** One stage on one frame, attempted as its retry policy allows; a failure that is not retried is thrown. */
async function attempt(
  s: { name: string; inst: StageInstance; retry: Pipeline['stages'][number]['retry'] },
  frame: Frame,
  hooks: InstantiateHooks,
): Promise<number> {
  // The end-of-input frame carries no picture: it is not a step anyone watches.
  const observer = frame.final ? undefined : hooks.observer;
  for (let n = 1; ; n++) {
    observer?.started(s.name, n);
    const t0 = performance.now();
    try {
      await s.inst.run(frame);
      const dt = performance.now() - t0;
      observer?.succeeded(s.name, dt);
      return dt;
    } catch (e) {
      const wait = retryDelayS(s.retry, n, e);
      observer?.failed(s.name, performance.now() - t0, e, wait);
      if (wait === null) throw e;
      await (hooks.sleep ?? Bun.sleep)(wait * 1000);
    }
  }
}

export async function instantiate(
  p: Pipeline,
  deps: StageDeps,
  hooks: InstantiateHooks = {},
): Promise<RunningPipeline> {
  const stages: Array<{ name: string; inst: StageInstance; retry: Pipeline['stages'][number]['retry'] }> = [];
  try {
    for (const s of p.stages)
      stages.push({
        name: s.name,
        inst: await s.def.create(s.options as never, {
          ...deps,
          stage: s.name,
          ...(isAbsolute(p.file) && { pipelineDir: dirname(p.file) }),
        }),
        retry: s.retry,
      });
  } catch (e) {
    for (const s of stages) await s.inst.close?.();
    throw e;
  }
  const timings: Record<string, number> = Object.fromEntries(p.stages.map((s) => [s.name, 0]));
  // The completion of the latest frame in each stage: a frame finishes a stage only after the frame
  // before it did, so stages see frames in order even when two are in flight.
  const last: Array<Promise<void>> = stages.map(() => Promise.resolve());
  const concurrent = p.stages.map((s) => s.def.concurrent === true);
  return {
    pipeline: p,
    timings,
    async run(frame) {
      for (const [i, s] of stages.entries()) {
        const prev = last[i]!;
        const mine = (async () => {
          if (!concurrent[i]) await prev;
          const dt = await attempt(s, frame, hooks);
          timings[s.name] = timings[s.name]! === 0 ? dt : timings[s.name]! * 0.9 + dt * 0.1;
          if (concurrent[i]) await prev;
        })();
        last[i] = mine.catch(() => undefined);
        await mine;
      }
      // A file's end is reported once its results are recorded, not while writes still run.
      if (frame.final) for (const s of stages) await s.inst.settle?.();
    },
    async close() {
      for (const s of stages) await s.inst.close?.();
    },
  };
}
