/**
 * @module The reference client for /ws/analysis, for Bun, Node 22+ and browsers (only the standard
 * WebSocket). It authenticates with the `bearer.<token>` subprotocol (browsers cannot set headers),
 * subscribes, and when the connection drops it reconnects after 1, 2, 5, 10, 20, 30, 60 s (then
 * every 60 s) and resumes after the last event it received, so the stored events it missed are
 * replayed and none is delivered twice. The schedule starts again once a subscription is confirmed.
 * It imports nothing from the appliance so it can be copied into another project as it is.
 */

export interface FoveaMessage {
  /** Stored events have an id and a seq; per-frame and control messages do not. */
  id?: string;
  seq?: number;
  sessionId: string | null;
  timestamp: string;
  event: string;
  payload: Record<string, unknown>;
}

export type ClientState =
  | { state: 'connecting'; attempt: number }
  | { state: 'open' }
  | { state: 'waiting'; delayS: number; reason: string }
  | { state: 'closed' };

export interface ClientOptions {
  /** ws://host:port/ws/analysis (wss:// behind TLS). */
  url: string;
  /** An API key or a JWT; sent as the subprotocol `bearer.<token>`. */
  token?: string;
  streams?: string[];
  events?: string[];
  /** Resume after this event id on the first connection (e.g. one saved from a previous run). */
  since?: string | null;
  /** Events and frames, each stored event once and in order. */
  onMessage(m: FoveaMessage): void;
  /** Control messages: subscribed, lagged, error. */
  onControl?(m: FoveaMessage): void;
  onState?(s: ClientState): void;
  /** Seconds to wait before each reconnection; the last repeats. */
  backoffS?: number[];
  /** Another WebSocket implementation (tests, older Node). */
  WebSocket?: typeof WebSocket;
}

export const DEFAULT_BACKOFF_S = [1, 2, 5, 10, 20, 30, 60];

export class FoveaClient {
  /** The last stored event received: where the next connection resumes. */
  lastEventId: string | null;
  private lastSeq = 0;
  private failures = 0;
  private ws: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(private readonly o: ClientOptions) {
    this.lastEventId = o.since ?? null;
  }

  start(): this {
    this.connect();
    return this;
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000, 'client closing');
    this.o.onState?.({ state: 'closed' });
  }

  private connect(): void {
    if (this.stopped) return;
    this.o.onState?.({ state: 'connecting', attempt: this.failures + 1 });
    const Impl = this.o.WebSocket ?? WebSocket;
    const protocols = this.o.token ? ['json', `bearer.${this.o.token}`] : ['json'];
    const ws = new Impl(this.o.url, protocols);
    this.ws = ws;
    ws.onopen = () => {
      this.o.onState?.({ state: 'open' });
      ws.send(
        JSON.stringify({
          type: 'subscribe',
          streams: this.o.streams ?? [],
          events: this.o.events ?? [],
          since: this.lastEventId,
        }),
      );
    };
    ws.onmessage = (e) => this.receive(String(e.data));
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!this.stopped) this.retry(`closed ${e.code}${e.reason ? ` ${e.reason}` : ''}`);
    };
  }

  private receive(text: string): void {
    let m: FoveaMessage;
    try {
      m = JSON.parse(text) as FoveaMessage;
    } catch {
      return;
    }
    if (m.sessionId === null) {
      if (m.event === 'subscribed') this.failures = 0;
      // The server no longer has the event to resume from (a new database): start over.
      if (m.event === 'error' && m.payload.code === 'since_not_found') {
        this.lastSeq = 0;
        this.lastEventId = null;
      }
      this.o.onControl?.(m);
      return;
    }
    if (m.id !== undefined && m.seq !== undefined) {
      if (m.seq <= this.lastSeq) return;
      this.lastSeq = m.seq;
      this.lastEventId = m.id;
    }
    this.o.onMessage(m);
  }

  private retry(reason: string): void {
    const steps = this.o.backoffS ?? DEFAULT_BACKOFF_S;
    const delayS = steps[Math.min(this.failures, steps.length - 1)]!;
    this.failures++;
    this.o.onState?.({ state: 'waiting', delayS, reason });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delayS * 1000);
  }
}
