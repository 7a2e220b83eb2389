/**
 * @module Live video for people watching a stream: one remux process per watched stream (the camera's
 * H.264 copied into fragmented MP4, never decoded or encoded), shared by its viewers, started by the
 * first viewer and stopped soon after the last one leaves. A viewer gets the init segment, then
 * fragments from the next keyframe on. A viewer whose socket falls behind skips fragments until it
 * has drained and a keyframe comes; it never holds back the others, the process or the analysis
 * (which has its own decoder). Viewers per stream are capped.
 */
import { remuxArgs } from '../decode/ffmpeg-args';
import { mimeOf, type InitInfo } from '../decode/fmp4';
import type { RemuxProcess, SpawnRemux } from '../decode/remux';
import type { Source } from '../decode/source';
import type { Logger } from '../shared/log';
import type { Timers } from '../shared/timers';

/** What the relay needs of a viewer's socket. */
export interface Viewer {
  send(data: Uint8Array | string): void;
  /** Bytes queued on the socket, not yet sent. */
  buffered(): number;
  close(code: number, reason: string): void;
}

/** Where a stream's video comes from, and for a file, where the analysis has got to. */
export interface LiveSource {
  source: Source;
  positionS: number | null;
  loop: boolean;
  timeoutS: number;
}

export interface LiveVideoDeps {
  spawn: SpawnRemux;
  probeDurationS(path: string): Promise<number | null>;
  timers: Timers;
  log: Logger;
  maxViewersPerStream: number;
  /** Bytes queued for a viewer before it skips to the next keyframe. */
  maxBufferBytes: number;
  /** How long a process outlives its last viewer (a reload does not restart it). */
  idleStopMs: number;
  fragmentMs: number;
}

/** Close codes sent to viewers (4000-4999 are the application's). */
export const LIVE_CLOSE = { full: 4013, ended: 4010, unplayable: 4015, shutdown: 1001 } as const;

interface Watching {
  viewer: Viewer;
  /** True until the viewer has been sent a keyframe fragment (after joining, or after skipping). */
  waitingKey: boolean;
}

interface Relay {
  proc: RemuxProcess | null;
  /** The process is being set up (a file's duration probed): later viewers wait for it. */
  starting: boolean;
  init: { bytes: Uint8Array; info: InitInfo } | null;
  viewers: Set<Watching>;
  idle: { cancel(): void } | null;
  skipped: number;
}

/** The first message of a viewer's socket (text), before the binary init segment. */
export interface LiveHello {
  type: 'init';
  mime: string;
  width: number;
  height: number;
}

export class LiveVideo {
  private relays = new Map<string, Relay>();
  private started = 0;

  constructor(private readonly deps: LiveVideoDeps) {}

  /**
   * Add a viewer of a stream; returns what to call when its socket closes. A full stream answers the
   * viewer with a close (code 4013) and a reason, and returns a no-op.
   */
  async watch(streamId: string, src: () => LiveSource, viewer: Viewer): Promise<() => void> {
    let relay = this.relays.get(streamId);
    if (relay && relay.viewers.size >= this.deps.maxViewersPerStream) {
      viewer.close(
        LIVE_CLOSE.full,
        `${relay.viewers.size} people are watching ${streamId} already (the limit per stream)`,
      );
      return () => undefined;
    }
    if (!relay) {
      relay = { proc: null, starting: false, init: null, viewers: new Set(), idle: null, skipped: 0 };
      this.relays.set(streamId, relay);
    }
    relay.idle?.cancel();
    relay.idle = null;
    const w: Watching = { viewer, waitingKey: true };
    relay.viewers.add(w);
    if (relay.init) this.greet(w, relay.init);
    else if (!relay.proc && !relay.starting) {
      relay.starting = true;
      try {
        await this.begin(streamId, relay, src());
      } catch (e) {
        // ffmpeg (or nice) could not be started: every viewer is told why, nothing lingers.
        const why = `live video could not start: ${(e as Error).message}`.slice(0, 120);
        for (const w of relay.viewers) w.viewer.close(LIVE_CLOSE.ended, why);
        relay.viewers.clear();
        this.end(streamId, relay);
        this.deps.log.error('live video could not start', { stream: streamId, error: e });
      } finally {
        relay.starting = false;
      }
    }
    return () => this.leave(streamId, relay, w);
  }

  private async begin(id: string, relay: Relay, s: LiveSource): Promise<void> {
    let seekS: number | null = null;
    if (s.source.kind === 'file' && s.positionS !== null) {
      const d = await this.deps.probeDurationS(s.source.path);
      seekS = d ? s.positionS % d : null;
    }
    if (this.relays.get(id) !== relay) return;
    if (relay.viewers.size === 0) return this.end(id, relay);
    const args = remuxArgs(s.source, { seekS, loop: s.loop, timeoutS: s.timeoutS, fragmentMs: this.deps.fragmentMs });
    this.started++;
    relay.proc = this.deps.spawn(args, {
      piece: (p) => {
        if (p.kind === 'init') this.onInit(id, relay, p);
        else this.onFragment(relay, p.bytes, p.key);
      },
      exit: ({ code, stderr }) => this.onExit(id, relay, code, stderr),
    });
    this.deps.log.info('live video started', { stream: id, viewers: relay.viewers.size, pid: relay.proc.pid });
  }

  private onInit(id: string, relay: Relay, p: { bytes: Uint8Array; info: InitInfo }): void {
    if (!p.info.codec) {
      const why = `the camera sends ${p.info.format}, which browsers cannot play without a re-encode; the analysed frames are shown instead`;
      for (const w of relay.viewers) w.viewer.close(LIVE_CLOSE.unplayable, why);
      this.end(id, relay);
      return;
    }
    relay.init = p;
    for (const w of relay.viewers) this.greet(w, p);
  }

  private greet(w: Watching, init: { bytes: Uint8Array; info: InitInfo }): void {
    const hello: LiveHello = {
      type: 'init',
      mime: mimeOf(init.info),
      width: init.info.width,
      height: init.info.height,
    };
    w.viewer.send(JSON.stringify(hello));
    w.viewer.send(init.bytes);
  }

  private onFragment(relay: Relay, bytes: Uint8Array, key: boolean): void {
    for (const w of relay.viewers) {
      if (w.viewer.buffered() > this.deps.maxBufferBytes) {
        w.waitingKey = true;
        relay.skipped++;
        continue;
      }
      if (w.waitingKey && !key) continue;
      w.waitingKey = false;
      w.viewer.send(bytes);
    }
  }

  private onExit(id: string, relay: Relay, code: number | null, stderr: string[]): void {
    if (relay.proc === null) return;
    relay.proc = null;
    if (this.relays.get(id) !== relay) return;
    const last = stderr.at(-1);
    const why = `the video source ended (ffmpeg exit ${code}${last ? `: ${last}` : ''})`.slice(0, 120);
    if (relay.viewers.size) this.deps.log.warn('live video ended', { stream: id, code, stderr: stderr.slice(-3) });
    for (const w of relay.viewers) w.viewer.close(LIVE_CLOSE.ended, why);
    this.relays.delete(id);
  }

  private leave(id: string, relay: Relay, w: Watching): void {
    relay.viewers.delete(w);
    if (relay.viewers.size || relay.idle || this.relays.get(id) !== relay) return;
    const t = this.deps.timers.set(() => {
      relay.idle = null;
      if (relay.viewers.size === 0) this.end(id, relay);
    }, this.deps.idleStopMs);
    relay.idle = { cancel: () => this.deps.timers.clear(t) };
  }

  /** Stop a relay's process and forget it. */
  private end(id: string, relay: Relay): void {
    const proc = relay.proc;
    relay.proc = null;
    relay.idle?.cancel();
    if (this.relays.get(id) === relay) this.relays.delete(id);
    if (proc) {
      proc.kill();
      this.deps.log.info('live video stopped', { stream: id, pid: proc.pid, skipped: relay.skipped });
    }
  }

  /** Figures for /api/health and the System page. */
  stats(): { watched_streams: number; viewers: number; processes: number; started: number } {
    let viewers = 0;
    let processes = 0;
    for (const r of this.relays.values()) {
      viewers += r.viewers.size;
      if (r.proc) processes++;
    }
    return { watched_streams: this.relays.size, viewers, processes, started: this.started };
  }

  /** Viewers of one stream (shown on the stream). */
  viewersOf(id: string): number {
    return this.relays.get(id)?.viewers.size ?? 0;
  }

  /** Close every viewer and stop every process (shutdown). */
  stop(): void {
    for (const [id, r] of [...this.relays]) {
      for (const w of r.viewers) w.viewer.close(LIVE_CLOSE.shutdown, 'the appliance is stopping');
      r.viewers.clear();
      this.end(id, r);
    }
  }
}
