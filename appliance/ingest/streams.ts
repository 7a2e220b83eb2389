/**
 * @module All streams of the box: builds each from its config (pipeline loaded and validated, decode
 * size derived, stages instantiated), starts, stops and lists them. Inference sessions are shared
 * through the model pool; results go to one sink.
 */
import type { StreamConfig } from '../config/schema';
import { loadPipeline } from '../pipeline/catalog';
import { decodeSpecOf, instantiate } from '../pipeline/compile';
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

  /** Build a stream without starting it: everything that can fail on config fails here. */
  async build(cfg: StreamConfig): Promise<StreamRunner> {
    const pipeline = loadPipeline(this.deps.pipelinesDir, cfg.pipeline, cfg.overrides);
    const out = decodeSpecOf(pipeline, this.deps.models.catalog, cfg.fps || pipeline.fps);
    const log = this.deps.log.child({ stream: cfg.id });
    const running = await instantiate(pipeline, {
      models: this.deps.models, sink: this.deps.sink, snapshots: this.deps.snapshots, publisher: this.deps.publisher, streamId: cfg.id, sessionId: Bun.randomUUIDv7(), log,
    });
    return new StreamRunner(cfg, running, out, { spawn: this.deps.spawn, timers: this.deps.timers, log });
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
    const pipeline = loadPipeline(this.deps.pipelinesDir, cfg.pipeline, cfg.overrides);
    const out = decodeSpecOf(pipeline, this.deps.models.catalog, cfg.fps || pipeline.fps);
    if (JSON.stringify(out) === JSON.stringify(current.out)) {
      const running = await instantiate(pipeline, {
        models: this.deps.models, sink: this.deps.sink, snapshots: this.deps.snapshots, publisher: this.deps.publisher, streamId: id, sessionId: Bun.randomUUIDv7(), log: this.deps.log.child({ stream: id }),
      });
      await current.swap(running, cfg);
      this.deps.log.info('pipeline swapped', { stream: id, pipeline: cfg.pipeline, overrides: cfg.overrides });
      return current;
    }
    const next = await this.build(cfg);
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
