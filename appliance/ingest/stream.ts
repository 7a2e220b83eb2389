/**
 * @module One stream at work: its decoder (supervised ffmpeg) feeds a bounded queue, and one loop
 * takes frames from it and runs the pipeline. A slow pipeline makes the queue drop its oldest frames
 * (counted), never grow. The pipeline can be swapped between two frames without stopping decode
 * when the decode size stays the same.
 */
import { resolveSource } from '../decode/source';
import { ffmpegArgs, nvdecFailure, type OutputSpec } from '../decode/ffmpeg-args';
import { Supervisor, type StreamStatus } from '../decode/supervisor';
import type { RawFrame, SpawnDecoder } from '../decode/ffmpeg';
import { DropOldestQueue } from '../pipeline/queue';
import { emptyFrame, type Frame } from '../pipeline/types';
import { GatingCounts, type GatingView } from '../pipeline/gating';
import type { RunningPipeline } from '../pipeline/compile';
import { letterboxOf, stretchOf, type Letterbox } from '../inference/detect/types';
import { RateMeter, RecentValues } from './rate';
import type { LiveSource } from './live-video';
import type { StreamConfig } from '../config/schema';
import type { Timers } from '../shared/timers';
import type { Logger } from '../shared/log';
import { AppError } from '../shared/errors';

/** A file stream's recorded_at as epoch ms; a bad time, a camera or a looped file is a config error. */
export function recordedAtOf(c: StreamConfig): number {
  const t = Date.parse(c.recorded_at);
  const where = `stream '${c.id}': recorded_at`;
  if (Number.isNaN(t)) throw new AppError('config_invalid', `${where} '${c.recorded_at}' is not an ISO 8601 time`);
  if (resolveSource(c).kind !== 'file') throw new AppError('config_invalid', `${where} is for files; a camera is live`);
  if (c.loop) throw new AppError('config_invalid', `${where} and loop do not go together: a recording has one start`);
  return t;
}

export interface StreamView extends Omit<StreamStatus, 'state'> {
  /** The decoder's state, or, before a stream can start on first run, its models' pull. */
  state: StreamStatus['state'] | 'pulling' | 'model_missing';
  id: string;
  url: string;
  pipeline: string;
  fps_in: number;
  fps_out: number;
  frames_analysed: number;
  dropped: number;
  queue_depth: number;
  stage_ms: Record<string, number>;
  /** From a frame decoded to its results handed to the store and the publishers, over the last 512 frames. */
  latency_ms: { p50: number | null; p99: number | null };
  last_pipeline_error: string | null;
  /** Motion gating (a detect stage gated on motion): what the detector did on the analysed frames. */
  gating: GatingView | null;
  /** Detection on, or switched off (frames still decode, show and record). */
  detection: boolean;
}

/**
 * Told of every frame of a stream around its live pipeline (a shadow pipeline). It must not slow the
 * live one: offer hands a frame over or refuses it at once, and done only records.
 */
export interface FrameTap {
  /** A frame before the live pipeline runs on it; `backlog`: the live queue is behind, so shed. */
  offer(frame: Frame, backlog: boolean): void;
  /** The live pipeline finished the frame in `ms` (null: it failed on it), its stages' mean times now. */
  done(frame: Frame, ms: number | null, timings: Record<string, number>): void;
  close(): Promise<void>;
}

export class StreamRunner {
  private tapped: FrameTap | null = null;
  /** Detection on (the default) or switched off: frames still decode, show and record. */
  detection = true;
  /** A file read faster than real time: decode waits for the pipeline. */
  private readonly pausable: boolean;
  private readonly queue: DropOldestQueue<RawFrame & { at: number; final?: boolean }>;
  private lastPts = 0;
  private readonly sup: Supervisor;
  private readonly inRate = new RateMeter();
  private readonly outRate = new RateMeter();
  private readonly latency = new RecentValues();
  private analysed = 0;
  private readonly gating = new GatingCounts();
  private failedFrames = 0;
  private inFlight = 0;
  private pipelineError: string | null = null;
  private loop: Promise<void> | null = null;
  private letterbox: Letterbox;
  /**
   * The newest frames the pipeline finished, with their results (for the live view), newest last: the
   * one before the newest is kept too, so a viewer that read an overlay can still fetch its picture.
   */
  private recent: Frame[] = [];
  private readonly display: string;
  /** Epoch ms a file's recording started (stream.recorded_at), or null: frames stamped when analysed. */
  private readonly recordedAt: number | null;

  /** Why the source failed for good (null while it has not). */
  private sourceError: string | null = null;

  constructor(
    public config: StreamConfig,
    private running: RunningPipeline,
    readonly out: OutputSpec,
    private readonly deps: {
      spawn: SpawnDecoder;
      /** ffmpeg has scale_cuda: NVDEC's frames are scaled on the GPU. */
      gpuScale?: boolean;
      timers: Timers;
      log: Logger;
      /** Told of each frame the pipeline finished (the live view's overlays). */
      analysed?: (frame: Frame) => void;
      /** Told when a file's last frame went through the pipeline (a run's clip is done). */
      ended?: () => void;
      /** Every decoder failure is for good: the source ends with it (a run's clip). */
      failuresAreFinal?: boolean;
      /** Snapshots at the camera's resolution: the decoder also writes each frame as JPEG this wide at most (0: not). */
      pictureWidth?: number;
    },
  ) {
    const src = resolveSource(config);
    this.display = src.display;
    this.recordedAt = config.recorded_at ? recordedAtOf(config) : null;
    this.queue = new DropOldestQueue(config.queue);
    this.letterbox = letterboxOf(out.width, out.height, out.width, out.height, 'top-left');
    const finite = src.kind === 'file' && !config.loop;
    // A file read faster than real time can wait for inference; a camera cannot.
    const pausable = src.kind === 'file' && !config.realtime;
    this.pausable = pausable;
    const decode = (hwaccel: 'none' | 'cuda') =>
      ffmpegArgs(src, out, {
        hwaccel,
        gpuScale: deps.gpuScale ?? false,
        realtime: config.realtime,
        loop: config.loop,
        timeoutS: config.stall_s,
        threads: 2,
        pictureWidth: deps.pictureWidth ?? 0,
      });
    this.sup = new Supervisor(
      {
        args: decode(config.hwaccel),
        // A box whose GPU cannot decode this stream goes on decoding it on the CPU.
        ...(config.hwaccel === 'cuda' && { nvdec: { cpuArgs: decode('none'), why: nvdecFailure } }),
        frameBytes: out.width * out.height * 3,
        stallS: config.stall_s,
        finite,
        missingIsFinal: src.kind === 'file',
        failuresAreFinal: deps.failuresAreFinal ?? false,
      },
      deps.spawn,
      (f) => {
        const at = deps.timers.now();
        this.inRate.mark(at);
        if (Number.isFinite(f.ptsS)) this.lastPts = f.ptsS;
        if (pausable) return this.queue.pushWait({ ...f, at });
        this.queue.push({ ...f, at });
      },
      (size) => this.setSource(size),
      // The end of a file goes through the pipeline as one last frame, after every real one; so
      // does a failure for good, which the stream then reports (sourceError).
      (error) => {
        this.sourceError = error;
        void this.queue.pushWait({
          pixels: new Uint8Array(0),
          n: -1,
          ptsS: this.lastPts,
          at: deps.timers.now(),
          final: true,
        });
      },
      deps.timers,
      deps.log,
    );
  }

  start(): void {
    this.sup.start();
    this.loop = this.work();
  }

  /** The source size fixes how boxes map back from the model input (ffmpeg says it before frame 0). */
  private setSource(size: { width: number; height: number }): void {
    const fit = this.out.fit;
    this.letterbox =
      fit.mode === 'letterbox'
        ? letterboxOf(size.width, size.height, this.out.width, this.out.height, fit.align)
        : stretchOf(size.width, size.height, this.out.width, this.out.height);
  }

  /**
   * Replace the pipeline between two frames: the frame in flight finishes on the old one (the work
   * loop took its reference), the next frame runs on the new one; then the old one is closed.
   */
  async swap(next: RunningPipeline, config: StreamConfig): Promise<void> {
    const old = this.running;
    this.running = next;
    this.config = config;
    this.pipelineError = null;
    await old.close();
  }

  /** Put a tap on the frames (a shadow pipeline), or take it off (null); the one before is closed. */
  async tap(next: FrameTap | null): Promise<void> {
    const old = this.tapped;
    this.tapped = next;
    await old?.close();
  }

  /** The newest analysed frame (pixels at the decode size, with its detections), or null. */
  get latest(): Frame | null {
    return this.recent.at(-1) ?? null;
  }

  /** The newest frame or the one before it, by sequence number; null once it is older. */
  frameAt(seq: number): Frame | null {
    return this.recent.findLast((f) => f.seq === seq) ?? null;
  }

  /** Where live video for people comes from: the same source, and for a file the point decode has reached. */
  liveSource(): LiveSource {
    // An input with the live role (a camera's main stream) is what people watch; else the analysed url.
    const live = this.config.inputs.find((i) => i.roles.includes('live'));
    const source = resolveSource(live ? { ...this.config, url: live.url } : this.config);
    return {
      source,
      // A file plays from where analysis is, when it is the file analysed.
      positionS: source.kind === 'file' && !live ? this.lastPts : null,
      loop: this.config.loop,
      timeoutS: this.config.stall_s,
    };
  }

  get pipeline(): RunningPipeline {
    return this.running;
  }

  /** Frames in the pipeline at once: 2 lets the next frame be prepared while one is inferred. */
  static readonly DEPTH = 2;

  private async work(): Promise<void> {
    const inflight = new Set<Promise<void>>();
    for (;;) {
      const f = await this.queue.take();
      if (!f) break;
      const p: Promise<void> = this.process(f).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= StreamRunner.DEPTH) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }

  private async process(f: RawFrame & { at: number; final?: boolean }): Promise<void> {
    this.inFlight++;
    const running = this.running;
    const frame = emptyFrame({
      stream: this.config.id,
      seq: f.n,
      ptsS: f.ptsS,
      // A recording analysed after the fact is stamped with when it was filmed.
      decodedAt: this.recordedAt !== null && Number.isFinite(f.ptsS) ? this.recordedAt + f.ptsS * 1000 : f.at,
      width: this.out.width,
      height: this.out.height,
      pixfmt: this.out.pixfmt,
      pixels: f.pixels,
      letterbox: this.letterbox,
      ...(f.picture && { picture: f.picture }),
    });
    if (f.final) frame.final = true;
    if (!this.detection) frame.detectOff = true;
    const tap = this.tapped;
    // A file read at full speed always has a full queue (decode waits for the pipeline): that is not load.
    tap?.offer(frame, !this.pausable && this.queue.depth * 2 >= this.config.queue);
    const t0 = performance.now();
    try {
      await running.run(frame);
      tap?.done(frame, performance.now() - t0, running.timings);
      if (!f.final) {
        // Runs complete in frame order (the pipeline keeps it), so the last one to finish is the newest.
        this.recent = [this.recent.at(-1)!, frame].filter(Boolean);
        this.analysed++;
        this.gating.add(frame);
        this.deps.analysed?.(frame);
        const now = this.deps.timers.now();
        this.outRate.mark(now);
        this.latency.add(now - f.at);
      }
    } catch (e) {
      tap?.done(frame, null, running.timings);
      this.pipelineError = (e as Error).message;
      if (!f.final) this.failedFrames++;
      this.deps.log.error('pipeline failed on a frame', { error: e, seq: f.n });
    } finally {
      this.inFlight--;
      if (f.final) this.deps.ended?.();
    }
  }

  /** Frames the pipeline failed on, the last failure, and why the source ended when it failed for good. */
  get failures(): { frames: number; last: string | null; source: string | null } {
    return { frames: this.failedFrames, last: this.pipelineError, source: this.sourceError };
  }

  async stop(): Promise<void> {
    this.sup.stop();
    this.queue.close();
    await this.loop;
    await this.tap(null);
    await this.running.close();
  }

  view(): StreamView {
    const now = this.deps.timers.now();
    const status = { ...this.sup.status };
    // A file that has ended is still being analysed while frames are queued or in flight.
    if (status.state === 'stopped' && (this.queue.depth > 0 || this.inFlight > 0)) status.state = 'running';
    return {
      id: this.config.id,
      url: this.display,
      pipeline: this.running.pipeline.name,
      ...status,
      fps_in: Math.round(this.inRate.rate(now) * 10) / 10,
      fps_out: Math.round(this.outRate.rate(now) * 10) / 10,
      frames_analysed: this.analysed,
      dropped: this.queue.dropped,
      queue_depth: this.queue.depth,
      stage_ms: Object.fromEntries(
        Object.entries(this.running.timings).map(([k, v]) => [k, Math.round(v * 100) / 100]),
      ),
      latency_ms: { p50: this.latency.percentile(50), p99: this.latency.percentile(99) },
      last_pipeline_error: this.pipelineError,
      gating: this.gating.view(),
      detection: this.detection,
    };
  }
}
