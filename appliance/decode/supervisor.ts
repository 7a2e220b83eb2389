/**
 * @module Keeps one stream's decoder alive: starts ffmpeg, watches for frames, restarts it with
 * backoff when it dies or stalls, waits longer after a refused login, and keeps the state and
 * counters that GET /api/streams shows. Timers and the process are injected, so the whole state
 * machine is unit-tested without ffmpeg.
 */
import { classify, HEALTHY_RUN_S, nextDelayS, serverAnswer, UNAUTHORIZED_S, type Failure } from './backoff';
import type { DecoderProcess, RawFrame, SpawnDecoder } from './ffmpeg';
import type { Timers } from '../shared/timers';
import type { Logger } from '../shared/log';

export type StreamState = 'stopped' | 'connecting' | 'running' | 'backoff' | 'unauthorized' | 'failed';

export interface StreamStatus {
  state: StreamState;
  /** Where frames are decoded: NVDEC, or the CPU (configured so, or NVDEC could not be used). */
  decoder: 'nvdec' | 'cpu';
  /** Why the decoder is not the configured one, or null. */
  decoder_note: string | null;
  since: string;
  frames_decoded: number;
  restarts: number;
  last_error: string | null;
  next_retry_at: string | null;
}

export interface SupervisorOptions {
  args: string[];
  frameBytes: number;
  stallS: number;
  /** A file that ended and does not loop: stop (true) or restart (false, e.g. a live source). */
  finite: boolean;
  /** A missing file will not appear by retrying: fail for good (a camera's 404 is retried). */
  missingIsFinal: boolean;
  /**
   * Every failure is for good (a run's clip: a file that ffmpeg cannot read, or that vanished,
   * will not get better by trying again, and its item must fail at once).
   */
  failuresAreFinal?: boolean;
  /**
   * NVDEC decoding (args are NVDEC's): when an exit's stderr says the GPU cannot decode (`why`),
   * the stream goes on with `cpuArgs` at once, for good, and says so in its status.
   */
  nvdec?: { cpuArgs: string[]; why: (stderr: string[]) => string | null };
}

export class Supervisor {
  private proc: DecoderProcess | null = null;
  private timer: unknown = null;
  private lastFrameAt = 0;
  private startedAt = 0;
  private failures = 0;
  private stopped = true;
  private args: string[];
  private nvdec: SupervisorOptions['nvdec'];
  readonly status: StreamStatus = {
    state: 'stopped',
    decoder: 'cpu',
    decoder_note: null,
    since: new Date(0).toISOString(),
    frames_decoded: 0,
    restarts: 0,
    last_error: null,
    next_retry_at: null,
  };

  constructor(
    private readonly o: SupervisorOptions,
    private readonly spawn: SpawnDecoder,
    private readonly onFrame: (f: RawFrame) => void | Promise<void>,
    private readonly onSource: (size: { width: number; height: number }) => void,
    /** A finite source (a file) reached its end (error null), or failed for good (why). */
    private readonly onEnded: (error: string | null) => void,
    private readonly timers: Timers,
    private readonly log: Logger,
  ) {
    this.args = o.args;
    this.nvdec = o.nvdec;
    if (o.nvdec) this.status.decoder = 'nvdec';
  }

  start(): void {
    this.stopped = false;
    this.launch();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.proc?.kill();
    this.proc = null;
    this.set('stopped');
  }

  private set(state: StreamState): void {
    if (this.status.state !== state) this.status.since = new Date(this.timers.now()).toISOString();
    this.status.state = state;
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }

  private launch(): void {
    this.set('connecting');
    this.status.next_retry_at = null;
    this.startedAt = this.timers.now();
    this.lastFrameAt = this.startedAt;
    const proc = this.spawn(this.args, this.o.frameBytes, {
      frame: (f) => {
        if (this.proc !== proc) return;
        this.lastFrameAt = this.timers.now();
        this.status.frames_decoded++;
        if (this.status.state !== 'running') {
          this.set('running');
          this.status.last_error = null;
        }
        return this.onFrame(f);
      },
      source: (size) => {
        if (this.proc === proc) this.onSource(size);
      },
      exit: (info) => {
        if (this.proc !== proc) return;
        this.proc = null;
        this.clearTimer();
        if (this.stopped) return;
        if (this.fallBackToCpu(info.stderr)) return;
        const kind = classify(info.stderr, info.code);
        const detail = serverAnswer(info.stderr) ?? info.stderr.slice(-3).join(' | ');
        const level = kind === 'ended' ? 'info' : 'warn';
        this.log[level]('decoder exited', {
          kind,
          code: info.code,
          signal: info.signal,
          stderr: info.stderr.slice(-10),
        });
        this.failed(kind, detail || `ffmpeg exited with code ${info.code}`);
      },
    });
    this.proc = proc;
    this.watch();
  }

  /** NVDEC refused: decode on the CPU from now on, starting again at once. */
  private fallBackToCpu(stderr: string[]): boolean {
    const why = this.nvdec?.why(stderr);
    if (!this.nvdec || !why) return false;
    this.args = this.nvdec.cpuArgs;
    this.nvdec = undefined;
    this.status.decoder = 'cpu';
    this.status.decoder_note = `NVDEC could not be used (${why}): decoding on the CPU`;
    this.status.restarts++;
    this.log.warn('NVDEC could not be used; decoding on the CPU', { reason: why });
    this.launch();
    return true;
  }

  private watch(): void {
    this.timer = this.timers.set(() => {
      this.timer = null;
      if (!this.proc) return;
      if (this.timers.now() - this.lastFrameAt > this.o.stallS * 1000) {
        const p = this.proc;
        this.proc = null;
        p.kill();
        this.log.warn('decoder stalled; restarting', { stall_s: this.o.stallS });
        this.failed('stalled', `no frame for ${this.o.stallS} s`);
        return;
      }
      this.watch();
    }, 1000);
  }

  private failed(kind: Failure | 'stalled', detail: string): void {
    if (kind === 'ended' && this.o.finite) {
      this.set('stopped');
      this.stopped = true;
      this.onEnded(null);
      return;
    }
    if ((kind === 'not_found' && this.o.missingIsFinal) || (this.o.failuresAreFinal && kind !== 'ended')) {
      this.status.last_error = `${kind}: ${detail}`;
      this.set('failed');
      this.stopped = true;
      this.onEnded(this.status.last_error);
      return;
    }
    if (this.timers.now() - this.startedAt >= HEALTHY_RUN_S * 1000) this.failures = 0;
    this.status.restarts++;
    this.status.last_error = `${kind}: ${detail}`;
    const delayS =
      kind === 'unauthorized' ? Math.max(UNAUTHORIZED_S, nextDelayS(this.failures)) : nextDelayS(this.failures);
    this.failures++;
    this.set(kind === 'unauthorized' ? 'unauthorized' : 'backoff');
    this.status.next_retry_at = new Date(this.timers.now() + delayS * 1000).toISOString();
    this.timer = this.timers.set(() => {
      this.timer = null;
      if (!this.stopped) this.launch();
    }, delayS * 1000);
  }
}
