/**
 * @module A shadow pipeline on one stream: a tap on the live stream's frames that hands a sampled
 * share of them (whole segments of consecutive frames) to a second pipeline, in a bounded queue of
 * its own. The live pipeline never waits for it: a frame that finds the queue full, or arrives
 * while the live queue is behind, is shed and counted. Each frame both pipelines finished is
 * compared (compare.ts) into the running total and the current window; a closed window is handed
 * on (MQTT, metrics). The shadow's own results go where its pipeline sends them: a sink of their
 * own, no publisher, no snapshots, so nothing of it reaches the live events or the subscribers.
 */
import type { ShadowConfig } from '../config/schema';
import type { FrameTap } from '../ingest/stream';
import type { RunningPipeline } from '../pipeline/compile';
import { emptyFrame, frameDetections, type Frame } from '../pipeline/types';
import type { Logger } from '../shared/log';
import type { Timers } from '../shared/timers';
import { addFrame, compare, emptyTally, sampled, type SideFrame, type Tally } from './compare';
import type { ShadowReport, ShadowWindow } from '../contracts/shadow';

export type { ShadowReport, ShadowWindow };

/** How many closed windows a report keeps. */
export const WINDOWS_KEPT = 24;

interface Entry {
  at: number;
  final: boolean;
  live?: SideFrame;
  shadow?: SideFrame;
  dead?: boolean;
}

interface Job {
  frame: Frame;
  entry: Entry;
  /** The first frame of a new segment: the shadow starts afresh (a new tracker). */
  fresh: boolean;
}

export interface ShadowDeps {
  stream: string;
  config: ShadowConfig;
  /** A fresh instance of the shadow pipeline (new stage state), at each segment's start. */
  make(): Promise<RunningPipeline>;
  livePipeline: string;
  liveRevision(): string | null;
  /** The fleet revision the shadow pipeline was loaded from. */
  shadowRevision: string | null;
  timers: Timers;
  log: Logger;
  /** A window closed, with the report as it is then. */
  windowClosed?(report: ShadowReport): void;
}

const sideOf = (frame: Frame, ms: number): SideFrame => ({
  detections: frameDetections(frame).map((d) => ({ label: d.label, box: d.box })),
  events: frame.events.flatMap((e) => ('label' in e.event ? [{ type: e.event.type, label: e.event.label }] : [])),
  ms,
});

export class ShadowRunner implements FrameTap {
  private readonly entries = new WeakMap<Frame, Entry>();
  private readonly queue: Job[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  private readonly loop: Promise<void>;
  private running: RunningPipeline | null = null;
  private segment = -1;
  private readonly frames = { offered: 0, analysed: 0, shed: 0, failed: 0 };
  private readonly total: Tally = emptyTally();
  private window: { index: number; start: number; tally: Tally };
  private readonly windows: ShadowWindow[] = [];
  private readonly since: number;
  private busyMs = 0;
  /** A frame is in the shadow pipeline now. */
  private busy = false;
  private liveTimings: Record<string, number> = {};
  private shadowTimings: Record<string, number> = {};

  constructor(private readonly d: ShadowDeps) {
    this.since = d.timers.now();
    this.window = this.openWindow(this.since);
    this.loop = this.work();
  }

  private windowIndex(at: number): number {
    return Math.floor(at / (this.d.config.window_s * 1000));
  }

  private openWindow(at: number) {
    const index = this.windowIndex(at);
    return { index, start: index * this.d.config.window_s * 1000, tally: emptyTally() };
  }

  offer(frame: Frame, backlog: boolean): void {
    if (this.closed) return;
    const c = this.d.config;
    const s = sampled(frame.decodedAt, c.sample, c.segment_s);
    // The end of a file goes to a shadow in its segment, so its tracker ends what it still follows.
    if (!s.on && !(frame.final && s.segment === this.segment)) return;
    const full = backlog || this.queue.length >= c.queue;
    if (!frame.final) {
      this.frames.offered++;
      if (full) this.frames.shed++;
    }
    if (full) return;
    const entry: Entry = { at: this.d.timers.now(), final: !!frame.final };
    this.entries.set(frame, entry);
    const copy = emptyFrame(frame);
    if (frame.final) copy.final = true;
    this.queue.push({ frame: copy, entry, fresh: s.segment !== this.segment });
    this.segment = s.segment;
    this.wake?.();
  }

  done(frame: Frame, ms: number | null, timings: Record<string, number>): void {
    this.liveTimings = timings;
    const entry = this.entries.get(frame);
    if (!entry) return;
    if (ms === null) entry.dead = true;
    else entry.live = sideOf(frame, ms);
    this.settle(entry);
  }

  /** Both sides done: into the total and the window (a new window closes the one before). */
  private settle(e: Entry): void {
    if (e.dead || !e.live || !e.shadow) return;
    if (this.windowIndex(e.at) !== this.window.index) {
      this.windows.unshift(this.windowView(this.window));
      this.windows.length = Math.min(this.windows.length, WINDOWS_KEPT);
      this.window = this.openWindow(e.at);
      try {
        this.d.windowClosed?.(this.report());
      } catch (err) {
        this.d.log.warn('shadow window report failed', { error: err });
      }
    }
    addFrame(this.total, e.live, e.shadow, e.final);
    addFrame(this.window.tally, e.live, e.shadow, e.final);
  }

  private async work(): Promise<void> {
    for (;;) {
      const job = this.queue.shift();
      if (!job) {
        if (this.closed) break;
        await new Promise<void>((r) => {
          this.wake = r;
        });
        this.wake = null;
        continue;
      }
      this.busy = true;
      try {
        if (job.fresh || !this.running) {
          await this.running?.close();
          this.running = null;
          this.running = await this.d.make();
        }
        const t0 = performance.now();
        await this.running.run(job.frame);
        const ms = performance.now() - t0;
        this.shadowTimings = this.running.timings;
        this.busyMs += ms;
        if (!job.frame.final) this.frames.analysed++;
        job.entry.shadow = sideOf(job.frame, ms);
        this.settle(job.entry);
      } catch (e) {
        if (!job.frame.final) this.frames.failed++;
        job.entry.dead = true;
        this.d.log.warn('shadow pipeline failed on a frame', { error: e });
      } finally {
        this.busy = false;
      }
    }
    await this.running?.close();
    this.running = null;
  }

  private windowView(w: { start: number; tally: Tally }): ShadowWindow {
    return {
      start: new Date(w.start).toISOString(),
      end: new Date(w.start + this.d.config.window_s * 1000).toISOString(),
      ...compare(w.tally),
    };
  }

  report(): ShadowReport {
    const c = this.d.config;
    const elapsedS = Math.max(1e-3, (this.d.timers.now() - this.since) / 1000);
    const shadowMs = this.frames.analysed ? this.busyMs / this.frames.analysed : null;
    const liveMs = this.total.frames ? this.total.ms.live / this.total.frames : null;
    const r2 = (v: number) => Math.round(v * 100) / 100;
    return {
      stream: this.d.stream,
      live: { pipeline: this.d.livePipeline, revision: this.d.liveRevision() },
      shadow: { pipeline: c.pipeline, overrides: c.overrides, revision: this.d.shadowRevision },
      sample: c.sample,
      segment_s: c.segment_s,
      window_s: c.window_s,
      since: new Date(this.since).toISOString(),
      frames: { ...this.frames, queued: this.queue.length + (this.busy ? 1 : 0) },
      stage_ms: {
        live: Object.fromEntries(Object.entries(this.liveTimings).map(([k, v]) => [k, r2(v)])),
        shadow: Object.fromEntries(Object.entries(this.shadowTimings).map(([k, v]) => [k, r2(v)])),
      },
      cost: {
        shadow_fps: r2(this.frames.analysed / elapsedS),
        shadow_ms_per_frame: shadowMs === null ? null : r2(shadowMs),
        live_fps_equivalent: liveMs ? r2(this.busyMs / 1000 / elapsedS / (liveMs / 1000)) : null,
      },
      total: compare(this.total),
      windows: [...this.windows],
      current: this.windowView(this.window),
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.wake?.();
    await this.loop;
  }
}
