/**
 * @module All streams of the box: builds each from its config (pipeline loaded and validated, decode
 * size derived, stages instantiated), starts, stops and lists them. Inference sessions are shared
 * through the model pool; results go to one sink.
 */
import type { StreamConfig } from '../config/schema';
import { loadPipeline } from '../pipeline/catalog';
import { decodeSpecOf, instantiate, type RunningPipeline } from '../pipeline/compile';
import type { Pipeline } from '../pipeline/file';
import type { OutputSpec } from '../decode/ffmpeg-args';
import type { ModelPool } from '../pipeline/models';
import type { ResultSink } from '../pipeline/sink';
import type { SnapshotPort } from '../pipeline/types';
import type { SpawnDecoder } from '../decode/ffmpeg';
import { StreamRunner, type StreamView } from './stream';
import { AppError } from '../shared/errors';
import type { Timers } from '../shared/timers';
import type { Logger } from '../shared/log';

export interface StreamDeps {
  pipelinesDir: string;
  models: ModelPool;
  sink: ResultSink;
  snapshots: SnapshotPort | null;
  publisher: import('../publish/port').Publisher | null;
  spawn: SpawnDecoder;
  timers: Timers;
  log: Logger;
}

export class Streams {
  private runners = new Map<string, StreamRunner>();

  constructor(private readonly deps: StreamDeps) {}

  /** Load and validate a stream's pipeline and derive its decode geometry (no side effects). */
  private plan(cfg: StreamConfig): { pipeline: Pipeline; out: OutputSpec } {
    const pipeline = loadPipeline(this.deps.pipelinesDir, cfg.pipeline, cfg.overrides);
    return { pipeline, out: decodeSpecOf(pipeline, this.deps.models.catalog, cfg.fps || pipeline.fps) };
  }

  /** Stage instances for one stream, with a new session id. */
  private instantiate(id: string, pipeline: Pipeline): Promise<RunningPipeline> {
    const d = this.deps;
    return instantiate(pipeline, {
      models: d.models, sink: d.sink, snapshots: d.snapshots, publisher: d.publisher, streamId: id, sessionId: Bun.randomUUIDv7(), log: d.log.child({ stream: id }),
    });
  }

  private async runner(cfg: StreamConfig, plan: { pipeline: Pipeline; out: OutputSpec }): Promise<StreamRunner> {
    const running = await this.instantiate(cfg.id, plan.pipeline);
    return new StreamRunner(cfg, running, plan.out, { spawn: this.deps.spawn, timers: this.deps.timers, log: this.deps.log.child({ stream: cfg.id }) });
  }

  /** Build a stream without starting it: everything that can fail on config fails here. */
  build(cfg: StreamConfig): Promise<StreamRunner> {
    return this.runner(cfg, this.plan(cfg));
  }

  async start(configs: StreamConfig[]): Promise<void> {
    const ids = new Set<string>();
    for (const c of configs) {
      if (ids.has(c.id)) throw new AppError('config_invalid', `stream id '${c.id}' is used twice`);
      ids.add(c.id);
    }
    for (const c of configs.filter((c) => c.enabled)) {
      const r = await this.build(c);
      this.runners.set(c.id, r);
      r.start();
      this.deps.log.info('stream started', { stream: c.id, pipeline: c.pipeline, url: r.view().url });
    }
  }

  /**
   * Change one stream's pipeline or overrides. Everything is validated before anything changes; a
   * valid change swaps the pipeline between two frames when the decode size stays, else restarts
   * only this stream. Other streams are not touched.
   */
  async update(id: string, patch: { pipeline?: string; overrides?: Record<string, unknown> }): Promise<StreamRunner> {
    const current = this.runners.get(id);
    if (!current) throw new AppError('not_found', `stream ${id} not found`);
    const cfg: StreamConfig = { ...current.config, ...patch };
    const plan = this.plan(cfg);
    if (JSON.stringify(plan.out) === JSON.stringify(current.out)) {
      await current.swap(await this.instantiate(id, plan.pipeline), cfg);
      this.deps.log.info('pipeline swapped', { stream: id, pipeline: cfg.pipeline, overrides: cfg.overrides });
      return current;
    }
    const next = await this.runner(cfg, plan);
    await current.stop();
    this.runners.set(id, next);
    next.start();
    this.deps.log.info('stream restarted for a new decode size', { stream: id, pipeline: cfg.pipeline });
    return next;
  }

  get(id: string): StreamRunner | undefined {
    return this.runners.get(id);
  }

  list(): StreamView[] {
    return [...this.runners.values()].map((r) => r.view());
  }

  async stop(id?: string): Promise<void> {
    for (const [k, r] of this.runners) {
      if (id && k !== id) continue;
      await r.stop();
      this.runners.delete(k);
    }
  }
}
