/**
 * @module Keeps one stream's recorder (ffmpeg, stream copy into segments) running: restarts it with
 * the decoder's backoff when it dies (a camera that drops: the gap stays a gap in the timeline),
 * holds it while the disk is full (state `disk_full`, until the maintainer frees room), and keeps
 * the state GET /api/recordings shows. The process and timers are injected: unit-tested without ffmpeg.
 */
import { classify, HEALTHY_RUN_S, nextDelayS, serverAnswer, UNAUTHORIZED_S } from '../decode/backoff';
import type { CopyProcess, SpawnCopy } from '../decode/copy';
import type { Timers } from '../shared/timers';
import type { Logger } from '../shared/log';

export type RecorderState = 'recording' | 'backoff' | 'unauthorized' | 'disk_full' | 'ended' | 'stopped';

export interface RecorderStatus {
  state: RecorderState;
  since: string;
  restarts: number;
  last_error: string | null;
  next_retry_at: string | null;
}

const DISK_FULL = /No space left on device|ENOSPC|Disk quota exceeded/i;

export class Recorder {
  private proc: CopyProcess | null = null;
  private timer: unknown = null;
  private failures = 0;
  private startedAt = 0;
  private held = false;
  readonly status: RecorderStatus = {
    state: 'stopped',
    since: new Date(0).toISOString(),
    restarts: 0,
    last_error: null,
    next_retry_at: null,
  };

  constructor(
    private readonly o: { stream: string; args: string[]; finite: boolean },
    private readonly deps: { spawn: SpawnCopy; timers: Timers; log: Logger },
  ) {}

  private set(state: RecorderState, error: string | null = this.status.last_error): void {
    if (this.status.state !== state) this.status.since = new Date(this.deps.timers.now()).toISOString();
    this.status.state = state;
    this.status.last_error = error;
    if (state !== 'backoff' && state !== 'unauthorized') this.status.next_retry_at = null;
  }

  start(): void {
    if (this.proc || this.held) return;
    this.clearTimer();
    this.startedAt = this.deps.timers.now();
    const p = this.deps.spawn(this.o.args);
    this.proc = p;
    this.set('recording');
    void p.exited.then((x) => this.exited(p, x.code, x.stderr));
  }

  private exited(p: CopyProcess, code: number | null, stderr: string[]): void {
    if (this.proc !== p) return;
    this.proc = null;
    if (this.status.state === 'stopped') return;
    const last = stderr.at(-1) ?? `ffmpeg exited with code ${code}`;
    if (DISK_FULL.test(stderr.join('\n'))) {
      this.hold('the disk is full: recording waits for space');
      return;
    }
    const kind = classify(stderr, code);
    if (kind === 'ended' && this.o.finite) {
      this.set('ended', null);
      return;
    }
    if (this.deps.timers.now() - this.startedAt >= HEALTHY_RUN_S * 1000) this.failures = 0;
    this.failures++;
    this.status.restarts++;
    const delay = kind === 'unauthorized' ? UNAUTHORIZED_S : nextDelayS(this.failures - 1);
    this.set(kind === 'unauthorized' ? 'unauthorized' : 'backoff', serverAnswer(stderr) ?? last);
    this.status.next_retry_at = new Date(this.deps.timers.now() + delay * 1000).toISOString();
    this.deps.log.warn('recorder stopped; it starts again', {
      stream: this.o.stream,
      error: this.status.last_error,
      in_s: delay,
    });
    this.timer = this.deps.timers.set(() => {
      this.timer = null;
      this.start();
    }, delay * 1000);
  }

  /** Stop recording until release() (the disk is full); analysis is not touched. */
  hold(why: string): void {
    if (this.held) return;
    this.held = true;
    this.clearTimer();
    const p = this.proc;
    this.proc = null;
    p?.kill();
    this.set('disk_full', why);
    this.deps.log.error('recording stopped: disk full', { stream: this.o.stream, why });
  }

  /** Room again: recording starts. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.deps.log.info('recording resumes: disk space is back', { stream: this.o.stream });
    this.start();
  }

  get holding(): boolean {
    return this.held;
  }

  /** Is ffmpeg running (a segment may be open)? */
  get running(): boolean {
    return this.proc !== null;
  }

  private clearTimer(): void {
    if (this.timer !== null) this.deps.timers.clear(this.timer);
    this.timer = null;
  }

  /**
   * Stop for good: ffmpeg is asked to finish its open segment (SIGINT), and killed if it has not
   * within 3 s; resolves once it has exited (its last segment is then whole or cut, never growing).
   */
  async stop(): Promise<void> {
    this.clearTimer();
    this.held = false;
    this.set('stopped', null);
    const p = this.proc;
    this.proc = null;
    if (!p) return;
    p.kill('SIGINT');
    const late = this.deps.timers.set(() => p.kill('SIGKILL'), 3000);
    await p.exited;
    this.deps.timers.clear(late);
  }
}
