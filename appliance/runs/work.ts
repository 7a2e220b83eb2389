/**
 * @module How a run's item is worked: a photo (uploaded with the run, or a registered image) as a
 * one-frame input, a clip as a file at full speed, both through the same stage registry as live
 * streams. Then what the run asked to keep is registered in the library (annotated images, or each
 * detection's crop), tagged with the run so it can be found and removed with it.
 */
import type { Pipeline } from '../pipeline/file';
import { instantiate, type InstantiateHooks, type StageObserver } from '../pipeline/compile';
import type { StageDeps } from '../pipeline/types';
import type { OutputSpec } from '../decode/ffmpeg-args';
import type { Catalog } from '../models/catalog';
import type { Imaging } from '../imaging/port';
import type { ItemRow, RunRow } from '../store/runs';
import type { RunFiles } from './files';
import type { ItemWork } from './executor';
import type { RunSpec } from './model';
import { detectionsOf, labelCounts, runDecodeSpec, runPhoto, type ItemOutput } from './item';
import { runClip, type ClipDeps } from './clip';
import { messageOf } from '../shared/errors';
import type { OcrOutput } from '../pipeline/stages/ocr';

export interface WorkDeps {
  catalog: Catalog;
  /** The services a stage gets, for one item's attempt (its session, its output folder). */
  stageDeps(run: RunRow, idx: number, sessionId: string): StageDeps;
  imaging: Imaging;
  maxPixels: number;
  files: RunFiles;
  /** A registered image's bytes: by its stored file when the run resolved it, else by its id. */
  readImage(id: string, objectKey: string | null): Promise<Uint8Array>;
  /** Register a derived image: it belongs to the run's owner, is private when the run is, and counts against their quota. */
  registerImage(
    data: Uint8Array,
    meta: { fileName: string; name: string | null; tags: string[]; owner: string; private: boolean },
  ): Promise<string>;
  clip: ClipDeps;
  /** Keep the text ocr@1 read in a registered image, so the library is searched by it. */
  setImageText(id: string, text: string): Promise<void>;
}

/** The lines ocr@1 stages read in a photo (on the picture and on its objects), in order, one a line. */
export function textOf(pipeline: Pipeline, outputs: Record<string, unknown>): string | null {
  const lines: string[] = [];
  for (const s of pipeline.stages) {
    if (s.def.type !== 'ocr') continue;
    const o = outputs[s.name] as OcrOutput | undefined;
    for (const l of o?.image ?? []) lines.push(l.text);
    for (const d of o?.detections ?? []) for (const l of d.lines) lines.push(l.text);
  }
  return lines.length ? lines.join('\n') : null;
}

/** A wait that ends early (rejecting) when the run is canceled or the box stops. */
const abortableSleep = (signal: AbortSignal) => (ms: number) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', stop, { once: true });
  });

/**
 * A clip runs its steps once per frame: the run hears of each step's first start, of failures (the
 * first few per step), and of its success once, with the total time, when the clip is done.
 */
function clipWatch(w: StageObserver): { observer: StageObserver; done(): void } {
  const ms = new Map<string, number>();
  const failures = new Map<string, number>();
  return {
    observer: {
      started: (stage, attempt) => {
        if (!ms.has(stage)) w.started(stage, attempt);
        ms.set(stage, ms.get(stage) ?? 0);
      },
      succeeded: (stage, t) => {
        ms.set(stage, (ms.get(stage) ?? 0) + t);
      },
      failed: (stage, t, e, retryInS) => {
        const n = (failures.get(stage) ?? 0) + 1;
        failures.set(stage, n);
        if (n <= 3) w.failed(stage, t, new Error(`on a frame: ${messageOf(e)}`), retryInS ?? 0);
      },
    },
    done: () => {
      for (const [stage, total] of ms) w.succeeded(stage, total);
    },
  };
}

export class PipelineWork implements ItemWork {
  private readonly specs = new WeakMap<Pipeline, OutputSpec>();

  constructor(private readonly d: WorkDeps) {}

  private specOf(p: Pipeline): OutputSpec {
    let s = this.specs.get(p);
    if (!s) {
      s = runDecodeSpec(p, this.d.catalog);
      this.specs.set(p, s);
    }
    return s;
  }

  async run(
    run: RunRow,
    spec: RunSpec,
    pipeline: Pipeline,
    item: ItemRow,
    sessionId: string,
    watch: StageObserver,
    signal: AbortSignal,
  ): Promise<ItemOutput> {
    const deps = this.d.stageDeps(run, item.idx, sessionId);
    const sleep = abortableSleep(signal);
    if (item.kind === 'video') return this.clip(run, pipeline, item, deps, watch, signal, sleep);
    const data =
      item.kind === 'upload'
        ? await this.d.files.read(run.id, item.source)
        : await this.d.readImage(item.source, item.object_key);
    const hooks: InstantiateHooks = { observer: watch, sleep };
    const { frame, output } = await runPhoto(
      {
        pipeline,
        spec: this.specOf(pipeline),
        deps,
        hooks,
        imaging: this.d.imaging,
        maxPixels: this.d.maxPixels,
        now: Date.now,
      },
      `run:${run.id}`,
      item.idx,
      data,
    );
    output.registered = await this.register(spec, run, item, data, output, frame.outputs);
    const text = item.kind === 'image' ? textOf(pipeline, frame.outputs) : null;
    if (text !== null) await this.d.setImageText(item.source, text);
    return output;
  }

  private async clip(
    run: RunRow,
    pipeline: Pipeline,
    item: ItemRow,
    deps: StageDeps,
    watch: StageObserver,
    signal: AbortSignal,
    sleep: (ms: number) => Promise<void>,
  ): Promise<ItemOutput> {
    const w = clipWatch(watch);
    const running = await instantiate(pipeline, deps, { observer: w.observer, sleep });
    const labels: Record<string, number> = {};
    const outcome = await runClip(this.d.clip, {
      stream: `run:${run.id}`,
      path: item.source,
      pipeline: running,
      spec: this.specOf(pipeline),
      signal,
      analysed: (f) => labelCounts(detectionsOf(f), labels),
    });
    if (outcome.frames === 0) throw new Error(`every frame failed: ${outcome.lastError}`);
    w.done();
    return {
      frames: outcome.frames,
      frames_failed: outcome.failedFrames,
      detections: [],
      labels,
      outputs: {},
      registered: [],
    };
  }

  /** Register what the run asked to keep; returns the new image ids. */
  private async register(
    spec: RunSpec,
    run: RunRow,
    item: ItemRow,
    photo: Uint8Array,
    output: ItemOutput,
    outputs: Record<string, unknown>,
  ): Promise<string[]> {
    const ids: string[] = [];
    const tags = ['run', `run:${run.id}`, `pipeline:${run.pipeline}`];
    const base = `${run.id}-${String(item.idx).padStart(6, '0')}`;
    // What a run makes is its owner's, as private as the run (and so as its inputs).
    const whose = { owner: run.owner, private: run.private };
    if (spec.register_outputs.includes('annotated'))
      for (const v of Object.values(outputs)) {
        const file = (v as { file?: unknown } | null)?.file;
        if (typeof file !== 'string') continue;
        const data = await this.d.files.read(run.id, file);
        ids.push(
          await this.d.registerImage(data, {
            fileName: `${base}-annotated.jpg`,
            name: item.name,
            tags: [...tags, 'annotated'],
            ...whose,
          }),
        );
      }
    if (spec.register_outputs.includes('crops') && output.detections.length) {
      const raw = await this.d.imaging.decodeRaw(photo, this.d.maxPixels);
      for (const [i, det] of output.detections.entries()) {
        const [x1, y1, x2, y2] = det.box.map((v) => Math.round(v)) as [number, number, number, number];
        const left = Math.max(0, Math.min(raw.width - 1, x1));
        const top = Math.max(0, Math.min(raw.height - 1, y1));
        const region = {
          left,
          top,
          width: Math.max(1, Math.min(raw.width - left, x2 - left)),
          height: Math.max(1, Math.min(raw.height - top, y2 - top)),
        };
        const jpeg = await this.d.imaging.frameJpeg(raw, region, []);
        ids.push(
          await this.d.registerImage(jpeg, {
            fileName: `${base}-crop-${i}.jpg`,
            name: `${det.label} from ${item.name ?? `item ${item.idx + 1}`}`,
            tags: [...tags, 'crop', det.label],
            ...whose,
          }),
        );
      }
    }
    return ids;
  }
}
