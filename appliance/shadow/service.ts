/**
 * @module The box's shadow pipelines: builds the tap of each stream whose config names a `shadow`
 * (the candidate pipeline loaded with its overrides and checked to decode at the live size, since it
 * runs on the live frames), keeps the running ones for the API, the metrics and MQTT.
 */
import type { StreamConfig } from '../config/schema';
import type { OutputSpec } from '../decode/ffmpeg-args';
import type { Imaging } from '../imaging/port';
import type { ShadowFactory } from '../ingest/streams';
import { loadPipeline } from '../pipeline/catalog';
import { decodeSpecOf, instantiate } from '../pipeline/compile';
import type { Pipeline } from '../pipeline/file';
import type { ModelPool } from '../pipeline/models';
import type { ResultSink } from '../pipeline/sink';
import { AppError } from '../shared/errors';
import { stableJson } from '../shared/json';
import type { Logger } from '../shared/log';
import type { Timers } from '../shared/timers';
import { ShadowRunner, type ShadowReport } from './runner';

export interface ShadowsDeps {
  models: ModelPool;
  imaging: Imaging;
  /** Where a shadow pipeline's store stage writes (tables of their own). */
  sinkFor(pipeline: string): ResultSink;
  timers: Timers;
  log: Logger;
  /** A report window closed on some stream (the retained MQTT summary). */
  windowClosed?(report: ShadowReport): void;
}

const geometry = (o: OutputSpec) => stableJson({ w: o.width, h: o.height, p: o.pixfmt, f: o.fit });

export class Shadows implements ShadowFactory {
  private readonly taps = new Map<string, ShadowRunner>();

  constructor(private readonly d: ShadowsDeps) {}

  /** The shadow pipeline of a stream, checked against the live one's decode (throws config_invalid). */
  plan(cfg: StreamConfig, live: { pipeline: Pipeline; out: OutputSpec }, dir: string): Pipeline | null {
    const s = cfg.shadow;
    if (!s) return null;
    const where = `stream '${cfg.id}': shadow`;
    let p: Pipeline;
    try {
      p = loadPipeline(dir, s.pipeline, s.overrides);
    } catch (e) {
      throw new AppError('config_invalid', `${where}: ${(e as Error).message}`, { cause: e });
    }
    const out = decodeSpecOf(p, this.d.models.catalog, live.out.fps);
    if (geometry(out) !== geometry(live.out))
      throw new AppError(
        'config_invalid',
        `${where} pipeline '${s.pipeline}' needs ${out.width}x${out.height} ${out.pixfmt} frames, the live pipeline '${live.pipeline.name}' decodes ${live.out.width}x${live.out.height} ${live.out.pixfmt}: a shadow runs on the live frames, so both need the same model input`,
      );
    return p;
  }

  async tap(
    cfg: StreamConfig,
    live: { pipeline: Pipeline; out: OutputSpec },
    dir: string,
    revision: () => string | null,
  ): Promise<ShadowRunner | null> {
    const pipeline = this.plan(cfg, live, dir);
    if (!pipeline || !cfg.shadow) return null;
    const d = this.d;
    const log = d.log.child({ stream: cfg.id, shadow: pipeline.name });
    const sink = d.sinkFor(pipeline.name);
    const make = () =>
      instantiate(pipeline, {
        models: d.models,
        sink,
        snapshots: null,
        publisher: null,
        outputs: null,
        imaging: d.imaging,
        streamId: cfg.id,
        sessionId: Bun.randomUUIDv7(),
        revision,
        log,
      });
    // Built once here so a stage that cannot be made fails the change, as a live one would.
    await (await make()).close();
    const runner = new ShadowRunner({
      stream: cfg.id,
      config: cfg.shadow,
      make,
      livePipeline: live.pipeline.name,
      liveRevision: revision,
      shadowRevision: revision(),
      timers: d.timers,
      log,
      windowClosed: d.windowClosed,
    });
    this.taps.set(cfg.id, runner);
    return runner;
  }

  /** The text of a stream's shadow pipeline (a change to its file is a change of the stream). */
  text(cfg: StreamConfig, dir: string): string | null {
    if (!cfg.shadow) return null;
    try {
      return loadPipeline(dir, cfg.shadow.pipeline, cfg.shadow.overrides).text;
    } catch (e) {
      // Not comparable: the stream counts as changed, and building it says what is wrong.
      return `unloadable: ${(e as Error).message}`;
    }
  }

  /** The reports of the shadows running now, by stream. */
  list(): ShadowReport[] {
    return [...this.taps.values()].filter((t) => !t.isClosed).map((t) => t.report());
  }

  get(stream: string): ShadowReport | null {
    const t = this.taps.get(stream);
    return t && !t.isClosed ? t.report() : null;
  }
}
