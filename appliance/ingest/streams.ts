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
import type { Frame, InboxPort, SnapshotPort } from '../pipeline/types';
import type { SpawnDecoder } from '../decode/ffmpeg';
import type { Imaging } from '../imaging/port';
import { recordedAtOf, StreamRunner, type FrameTap, type StreamView } from './stream';
import { resolveSource } from '../decode/source';
import { pullState, type ModelFetcher } from '../models/fetcher';
import { modelsOf } from '../pipeline/compile';
import { AppError } from '../shared/errors';
import { stableJson } from '../shared/json';
import { KeyedListeners } from '../shared/listeners';
import type { Timers } from '../shared/timers';
import type { Logger } from '../shared/log';

export interface StreamDeps {
  pipelinesDir: string;
  models: ModelPool;
  sink: ResultSink;
  snapshots: SnapshotPort | null;
  /** Crops for the classifiers' "to label" inbox. */
  inbox?: InboxPort | null;
  imaging: Imaging;
  publisher: import('../publish/port').Publisher | null;
  spawn: SpawnDecoder;
  /** This ffmpeg has scale_cuda (streams with hwaccel: cuda scale on the GPU). */
  gpuScale?: boolean;
  timers: Timers;
  log: Logger;
  /** Pulls the models a stream needs that are not in place yet (first run); null: they must be. */
  fetcher?: ModelFetcher | null;
  /** Builds the shadow pipeline of a stream whose config names one; null: shadows are off. */
  shadows?: ShadowFactory | null;
  /** Snapshots at the camera's resolution, this wide at most (snapshots.max_width); 0: from the model input. */
  pictureWidth?: number;
}

/** What Streams needs to put a shadow pipeline beside a live one. */
export interface ShadowFactory {
  /** The tap of a stream's shadow, its config checked against the live decode; null when it has none. Throws config_invalid. */
  tap(
    cfg: StreamConfig,
    live: { pipeline: Pipeline; out: OutputSpec },
    dir: string,
    revision: () => string | null,
  ): Promise<FrameTap | null>;
  /** The text of the shadow pipeline (a change to its file changes the stream); null without a shadow. */
  text(cfg: StreamConfig, dir: string): string | null;
}

/** A stream that waits for its models (first run): shown with its pull state, started once they are in. */
interface Waiting {
  cfg: StreamConfig;
  refs: string[];
  since: string;
}

/** A stream change built and ready to put in use (see prepare), with its shadow's tap when it has one. */
type Prepared = ({ swap: RunningPipeline } | { runner: StreamRunner }) & { tap: FrameTap | null };

/** What a reconcile did, by stream id. */
export interface Reconciled {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
}

/** Everything of a stream's config but its pipelines: when this is unchanged, the decoder can stay. */
const decoderOf = ({ pipeline: _p, overrides: _o, shadow: _s, ...rest }: StreamConfig) => stableJson(rest);

function uniqueIds(configs: StreamConfig[]): void {
  const ids = new Set<string>();
  for (const c of configs) {
    if (ids.has(c.id)) throw new AppError('config_invalid', `stream id '${c.id}' is used twice`);
    ids.add(c.id);
    if (c.recorded_at) recordedAtOf(c);
  }
}

export class Streams {
  private running = new Map<string, StreamRunner>();
  /** The fleet revision the box runs (null: the local config), stamped on every result. */
  revision: string | null = null;
  private readonly revisionNow = () => this.revision;
  private readonly watchers = new KeyedListeners<string, Frame>();
  private readonly waiting = new Map<string, Waiting>();
  /** Streams whose detection is switched off; kept across a stream's restarts, not across the box's. */
  private readonly detectOff = new Set<string>();
  private readonly changes = new Set<() => void>();

  constructor(private readonly deps: StreamDeps) {}

  /** Load and validate a stream's pipeline and derive its decode geometry (no side effects). */
  private plan(cfg: StreamConfig, dir = this.deps.pipelinesDir): { pipeline: Pipeline; out: OutputSpec } {
    const pipeline = loadPipeline(dir, cfg.pipeline, cfg.overrides);
    return { pipeline, out: decodeSpecOf(pipeline, this.deps.models.catalog, cfg.fps || pipeline.fps) };
  }

  /** Stage instances for one stream, with a new session id. */
  private instantiate(id: string, pipeline: Pipeline): Promise<RunningPipeline> {
    const d = this.deps;
    return instantiate(pipeline, {
      models: d.models,
      sink: d.sink,
      snapshots: d.snapshots,
      inbox: d.inbox ?? null,
      imaging: d.imaging,
      publisher: d.publisher,
      outputs: null,
      streamId: id,
      sessionId: Bun.randomUUIDv7(),
      revision: this.revisionNow,
      log: d.log.child({ stream: id }),
    });
  }

  /** The shadow tap of a stream (null without one); fails, like the live stages, before anything changes. */
  private shadowTap(cfg: StreamConfig, plan: { pipeline: Pipeline; out: OutputSpec }, dir = this.deps.pipelinesDir) {
    return this.deps.shadows?.tap(cfg, plan, dir, this.revisionNow) ?? Promise.resolve(null);
  }

  private async runner(cfg: StreamConfig, plan: { pipeline: Pipeline; out: OutputSpec }): Promise<StreamRunner> {
    const running = await this.instantiate(cfg.id, plan.pipeline);
    const r = new StreamRunner(cfg, running, plan.out, {
      spawn: this.deps.spawn,
      gpuScale: this.deps.gpuScale,
      timers: this.deps.timers,
      log: this.deps.log.child({ stream: cfg.id }),
      analysed: (frame) => this.watchers.emit(cfg.id, frame),
      pictureWidth: this.deps.pictureWidth ?? 0,
    });
    r.detection = !this.detectOff.has(cfg.id);
    return r;
  }

  /** Switch a stream's detection on or off; false when there is no such stream. */
  setDetection(id: string, on: boolean): boolean {
    if (!this.running.has(id) && !this.waiting.has(id)) return false;
    if (on) this.detectOff.delete(id);
    else this.detectOff.add(id);
    const r = this.running.get(id);
    if (r) r.detection = on;
    this.deps.log.info(on ? 'detection switched on' : 'detection switched off', { stream: id });
    return true;
  }

  /** Is the stream's detection on? */
  detection(id: string): boolean {
    return !this.detectOff.has(id);
  }

  /** Be told when the set of streams or their configs change (started, changed, removed). */
  onChange(fn: () => void): () => void {
    this.changes.add(fn);
    return () => this.changes.delete(fn);
  }

  private changed(): void {
    for (const fn of this.changes) fn();
  }

  /** The configs of the streams there are: running, and waiting for their models. */
  configs(): StreamConfig[] {
    return [...this.running.values()].map((r) => r.config).concat([...this.waiting.values()].map((w) => w.cfg));
  }

  /** Build a stream without starting it, with its shadow: everything that can fail on config fails here. */
  async build(cfg: StreamConfig): Promise<StreamRunner> {
    const plan = this.plan(cfg);
    const r = await this.runner(cfg, plan);
    try {
      await r.tap(await this.shadowTap(cfg, plan));
    } catch (e) {
      await r.stop();
      throw e;
    }
    return r;
  }

  async start(configs: StreamConfig[]): Promise<void> {
    uniqueIds(configs);
    for (const c of configs.filter((c) => c.enabled)) {
      const fetcher = this.deps.fetcher;
      const plan = this.plan(c);
      const missing = fetcher ? modelsOf(plan.pipeline).filter((ref) => !fetcher.present(ref)) : [];
      if (fetcher && missing.length) this.await(c, missing, fetcher);
      else this.launch(c, await this.build(c));
    }
    this.changed();
  }

  private launch(c: StreamConfig, r: StreamRunner): void {
    this.running.set(c.id, r);
    r.start();
    this.deps.log.info('stream started', { stream: c.id, pipeline: c.pipeline, url: r.view().url });
  }

  /** Start a stream once the models it needs are pulled; meanwhile it shows as pulling or model_missing. */
  private await(c: StreamConfig, refs: string[], fetcher: ModelFetcher): void {
    const w: Waiting = { cfg: c, refs, since: new Date(this.deps.timers.now()).toISOString() };
    this.waiting.set(c.id, w);
    this.deps.log.warn('stream waits for its models', { stream: c.id, models: refs });
    void Promise.all(refs.map((r) => fetcher.ready(r))).then(async () => {
      if (this.waiting.get(c.id) !== w) return;
      try {
        const r = await this.build(c);
        if (this.waiting.get(c.id) !== w) return void (await r.stop());
        this.waiting.delete(c.id);
        this.launch(c, r);
      } catch (e) {
        this.deps.log.error('stream could not start after its models were pulled', { stream: c.id, error: e });
      }
    });
  }

  /** The view of a stream waiting for models. */
  private waitingView(w: Waiting): StreamView {
    const states = w.refs.map((r) => this.deps.fetcher?.state(r) ?? null);
    const failed = states.find((s) => s?.state === 'failed');
    const pending = states.find((s) => s && s.state !== 'present') ?? null;
    return {
      id: w.cfg.id,
      url: resolveSource(w.cfg).display,
      pipeline: w.cfg.pipeline,
      state: failed ? 'model_missing' : 'pulling',
      since: w.since,
      frames_decoded: 0,
      restarts: 0,
      decoder: w.cfg.hwaccel === 'cuda' ? 'nvdec' : 'cpu',
      decoder_note: null,
      last_error: `waits for its model: ${pullState(failed ?? pending)}`,
      next_retry_at: failed?.next_retry_at ?? null,
      fps_in: 0,
      fps_out: 0,
      frames_analysed: 0,
      dropped: 0,
      queue_depth: 0,
      stage_ms: {},
      latency_ms: { p50: null, p99: null },
      last_pipeline_error: null,
      gating: null,
      detection: !this.detectOff.has(w.cfg.id),
    };
  }

  /**
   * Change one stream's pipeline or overrides. Everything is validated before anything changes; a
   * valid change swaps the pipeline between two frames when the decode size stays, else restarts
   * only this stream. Other streams are not touched.
   */
  async update(id: string, patch: { pipeline?: string; overrides?: Record<string, unknown> }): Promise<StreamRunner> {
    const current = this.running.get(id);
    if (!current) throw new AppError('not_found', `stream ${id} not found`);
    const cfg: StreamConfig = { ...current.config, ...patch };
    const next = await this.prepare(cfg, this.plan(cfg));
    const runner = await this.commit(cfg, next);
    if ('swap' in next)
      this.deps.log.info('pipeline swapped', { stream: id, pipeline: cfg.pipeline, overrides: cfg.overrides });
    else this.deps.log.info('stream restarted for a new decode size', { stream: id, pipeline: cfg.pipeline });
    this.changed();
    return runner;
  }

  /**
   * What a stream's new config needs, built but not in use yet: a pipeline to swap in when its
   * decoder can stay (same source settings, same decode size), else a whole new runner.
   */
  private async prepare(
    c: StreamConfig,
    plan: { pipeline: Pipeline; out: OutputSpec },
    dir = this.deps.pipelinesDir,
  ): Promise<Prepared> {
    const current = this.running.get(c.id);
    const tap = await this.shadowTap(c, plan, dir);
    try {
      if (
        current &&
        JSON.stringify(plan.out) === JSON.stringify(current.out) &&
        decoderOf(current.config) === decoderOf(c)
      )
        return { swap: await this.instantiate(c.id, plan.pipeline), tap };
      return { runner: await this.runner(c, plan), tap };
    } catch (e) {
      await tap?.close();
      throw e;
    }
  }

  /** Close a prepared change that will not be put in use. */
  private async discard(p: Prepared): Promise<void> {
    await p.tap?.close();
    await ('swap' in p ? p.swap.close() : p.runner.stop());
  }

  /** Put a prepared change in use: the swap between two frames, or the new runner in place of the old. */
  private async commit(c: StreamConfig, p: Prepared): Promise<StreamRunner> {
    const current = this.running.get(c.id);
    if ('swap' in p) {
      await current!.swap(p.swap, c);
      await current!.tap(p.tap);
      return current!;
    }
    if (current) await current.stop();
    this.running.set(c.id, p.runner);
    await p.runner.tap(p.tap);
    p.runner.start();
    return p.runner;
  }

  /**
   * Make the running streams those of `configs`, with pipelines from `pipelinesDir`, touching only
   * what differs: an unchanged stream (same config, same pipeline text) keeps running as it is; a
   * changed one swaps its pipeline between two frames when the decode size stays, else restarts;
   * a removed one stops; a new one starts. Every pipeline is loaded and every stage built before
   * anything changes, so a change that fails there changes nothing.
   */
  async reconcile(configs: StreamConfig[], pipelinesDir: string, revision: string | null): Promise<Reconciled> {
    uniqueIds(configs);
    const wanted = configs.filter((c) => c.enabled);
    const plans = new Map(wanted.map((c) => [c.id, this.plan(c, pipelinesDir)]));
    const shadowText = (c: StreamConfig, dir: string) => this.deps.shadows?.text(c, dir) ?? null;
    const same = (c: StreamConfig) => {
      const r = this.running.get(c.id);
      return (
        !!r &&
        stableJson(r.config) === stableJson(c) &&
        r.pipeline.pipeline.text === plans.get(c.id)!.pipeline.text &&
        shadowText(r.config, this.deps.pipelinesDir) === shadowText(c, pipelinesDir)
      );
    };
    const unchanged = wanted.filter(same);
    const todo = wanted.filter((c) => !unchanged.includes(c));
    // Build first: a stage that cannot be made (a model file missing) fails here, with nothing changed.
    const built = new Map<string, Prepared>();
    try {
      for (const c of todo) built.set(c.id, await this.prepare(c, plans.get(c.id)!, pipelinesDir));
    } catch (e) {
      for (const b of built.values()) await this.discard(b);
      throw e;
    }
    const out: Reconciled = { added: [], changed: [], removed: [], unchanged: unchanged.map((c) => c.id) };
    for (const id of [...this.running.keys()]) {
      if (plans.has(id)) continue;
      await this.stop(id);
      this.detectOff.delete(id);
      out.removed.push(id);
    }
    this.deps.pipelinesDir = pipelinesDir;
    this.revision = revision;
    // Streams that waited for a model are now built above or removed: none starts later on its own.
    this.waiting.clear();
    for (const c of todo) {
      (this.running.has(c.id) ? out.changed : out.added).push(c.id);
      await this.commit(c, built.get(c.id)!);
    }
    this.deps.log.info('streams reconciled', { ...out });
    this.changed();
    return out;
  }

  /**
   * Be told of each frame a stream's pipeline finishes, across pipeline swaps and restarts of that
   * stream, until the returned function is called. Keep it quick: it runs between two frames.
   */
  watch(id: string, fn: (frame: Frame) => void): () => void {
    return this.watchers.add(id, fn);
  }

  get(id: string): StreamRunner | undefined {
    return this.running.get(id);
  }

  /** Every stream: running ones, and those waiting for their models. */
  list(): StreamView[] {
    return [...this.runners().map((r) => r.view()), ...[...this.waiting.values()].map((w) => this.waitingView(w))];
  }

  /** Where the streams' pipelines come from now (the local directory, or the fleet revision's). */
  get pipelinesDir(): string {
    return this.deps.pipelinesDir;
  }

  /** One stream's view, running or waiting; null when there is no such stream. */
  view(id: string): StreamView | null {
    const r = this.running.get(id);
    if (r) return r.view();
    const w = this.waiting.get(id);
    return w ? this.waitingView(w) : null;
  }

  runners(): StreamRunner[] {
    return [...this.running.values()];
  }

  async stop(id?: string): Promise<void> {
    if (id) this.waiting.delete(id);
    else this.waiting.clear();
    for (const [k, r] of this.running) {
      if (id && k !== id) continue;
      await r.stop();
      this.running.delete(k);
    }
  }
}
