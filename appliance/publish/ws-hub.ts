/**
 * @module The WebSocket fan-out behind /ws/analysis, apart from the socket library. Each client has
 * a subscription (streams, event names, `since` an event id). Stored events arrive here after they
 * are committed, in seq order; a client resuming `since` an id first gets the stored events after
 * it, then the live ones: live events that arrive while the replay runs are held and sent after it,
 * skipping any the replay already sent, so there is no gap and no duplicate at the seam.
 * Per-frame `frameAnalyzed` messages are live only. A client whose send buffer passes the limit is
 * sent `lagged` and cut, so a slow reader never holds back the others or the pipeline. Dead clients
 * (no pong to the previous ping) are dropped.
 */
import { bracketDepth, PARSE_LIMITS } from '../shared/parse-limits';
import type { EventRow, EventSelector } from '../contracts/results';
import { eventEnvelope } from './envelope';
import type { ReviewMessage } from '../contracts/reviews';
import type { FrameEnvelope, Publisher, RunReporter } from './port';
import type { RunMessage } from '../contracts/runs';
import type { Logger } from '../shared/log';

/** What the hub needs of a socket (Bun's ServerWebSocket, or a test double). */
export interface WsConn {
  send(text: string): void;
  bufferedAmount(): number;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
}

export interface Subscription {
  streams: string[];
  events: string[];
  /** Pipeline runs whose progress to follow (empty: every run, unless streams narrows to streams). */
  runs: string[];
  since: string | null;
}

export interface HubDeps {
  /** Stored events after a seq matching the selector, oldest first. */
  replay(afterSeq: number, sel: EventSelector, limit: number): Promise<EventRow[]>;
  seqOf(id: string): Promise<number | null>;
  committedSeq(): number;
  maxBufferBytes: number;
  maxClients: number;
  log: Logger;
}

/** Close codes (4000-4999 are the application's). */
export const CLOSE = { lagged: 4008, dead: 4009, full: 4013, shutdown: 1001 } as const;

interface Client {
  id: number;
  conn: WsConn;
  /** Origin the client connected to, for snapshot links (as REST answers with the request's origin). */
  base: string;
  sub: Subscription;
  /** Held live events while a replay runs; null when live. */
  held: EventRow[] | null;
  /** The highest event seq sent (or skipped by the filter) to this client. */
  lastSeq: number;
  /** Whether the client's caller may see a stream's messages. */
  sees: (stream: string) => boolean;
  alive: boolean;
  cut: boolean;
  sent: number;
}

const REPLAY_PAGE = 1000;
const all: Subscription = { streams: [], events: [], runs: [], since: null };

/** A control message in the same envelope as the data. */
export const control = (event: string, payload: Record<string, unknown>) =>
  JSON.stringify({ sessionId: null, timestamp: new Date().toISOString(), event, payload });

/** Parse a client message into a subscription, or say what is wrong with it. */
export function parseSubscription(data: unknown): Subscription | string {
  let m: unknown = data;
  if (typeof data === 'string') {
    if (bracketDepth(data) > PARSE_LIMITS.depth) return `messages nest at most ${PARSE_LIMITS.depth} levels`;
    try {
      m = JSON.parse(data);
    } catch {
      return 'messages must be JSON';
    }
  }
  if (!m || typeof m !== 'object' || (m as { type?: unknown }).type !== 'subscribe')
    return 'the only message is {"type":"subscribe", "streams"?, "events"?, "runs"?, "since"?}';
  const o = m as Record<string, unknown>;
  const strings = (v: unknown, name: string): string[] | string => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.length > 200) || v.length > 1000)
      return `${name} must be a list of names`;
    return v as string[];
  };
  const streams = strings(o.streams, 'streams');
  if (typeof streams === 'string') return streams;
  const events = strings(o.events, 'events');
  if (typeof events === 'string') return events;
  const runs = strings(o.runs, 'runs');
  if (typeof runs === 'string') return runs;
  if (o.since !== undefined && o.since !== null && (typeof o.since !== 'string' || o.since.length > 100))
    return 'since must be an event id';
  return { streams, events, runs, since: (o.since as string | undefined) ?? null };
}

const wants = (s: Subscription, stream: string, event: string) =>
  (s.streams.length === 0 || s.streams.includes(stream)) && (s.events.length === 0 || s.events.includes(event));

/** A run's messages go to who names the run, or to who takes everything (no stream named). */
const wantsRun = (s: Subscription, run: string, event: string) =>
  (s.runs.length ? s.runs.includes(run) : s.streams.length === 0) &&
  (s.events.length === 0 || s.events.includes(event));

export class WsHub implements Publisher, RunReporter {
  private clients = new Map<number, Client>();
  private nextId = 1;
  counters = { connected_total: 0, lagged_cut: 0, dead_dropped: 0, sent: 0, heartbeats: 0 };

  constructor(private readonly d: HubDeps) {}

  get size(): number {
    return this.clients.size;
  }

  /**
   * A new connection: subscribed to everything, live from now, until it sends a subscription.
   * `sees` says which streams its caller may see at all (a private run of someone else is not).
   */
  open(conn: WsConn, base: string, sees: (stream: string) => boolean = () => true): number | null {
    if (this.clients.size >= this.d.maxClients) {
      conn.send(
        control('error', { code: 'too_many_clients', message: `at most ${this.d.maxClients} WebSocket clients` }),
      );
      conn.close(CLOSE.full, 'too many clients');
      return null;
    }
    const c: Client = {
      id: this.nextId++,
      conn,
      base,
      sub: all,
      held: null,
      lastSeq: this.d.committedSeq(),
      sees,
      alive: true,
      cut: false,
      sent: 0,
    };
    this.clients.set(c.id, c);
    this.counters.connected_total++;
    return c.id;
  }

  close(id: number): void {
    this.clients.delete(id);
  }

  pong(id: number): void {
    const c = this.clients.get(id);
    if (c) c.alive = true;
  }

  /** Called every ping interval: drop who did not answer the last ping, ping the rest. */
  heartbeat(): void {
    this.counters.heartbeats++;
    for (const c of this.clients.values()) {
      if (!c.alive) {
        this.counters.dead_dropped++;
        this.clients.delete(c.id);
        c.conn.terminate();
        continue;
      }
      c.alive = false;
      c.conn.ping();
    }
  }

  /** A client message: a subscription (a JSON text, or the object a framework already parsed). */
  async message(id: number, data: unknown): Promise<void> {
    const c = this.clients.get(id);
    if (!c) return;
    const sub = parseSubscription(data);
    if (typeof sub === 'string') {
      this.send(c, control('error', { code: 'bad_message', message: sub }));
      return;
    }
    if (sub.since === null) {
      c.sub = sub;
      this.send(c, control('subscribed', { ...sub, replayed: 0 }));
      return;
    }
    const from = await this.d.seqOf(sub.since);
    if (from === null) {
      c.sub = sub;
      this.send(
        c,
        control('error', { code: 'since_not_found', message: `no stored event ${sub.since}; live from now` }),
      );
      return;
    }
    c.sub = sub;
    c.held = [];
    c.lastSeq = from;
    let replayed = 0;
    try {
      for (;;) {
        const rows = await this.d.replay(c.lastSeq, { streams: sub.streams, types: sub.events }, REPLAY_PAGE);
        if (c.cut || !this.clients.has(id)) return;
        for (const r of rows) {
          if (!c.sees(r.stream)) {
            c.lastSeq = Number(r.seq);
            continue;
          }
          this.sendEvent(c, r);
          replayed++;
        }
        if (rows.length < REPLAY_PAGE) break;
      }
    } catch (e) {
      this.d.log.error('websocket replay failed', { error: e });
      this.send(c, control('error', { code: 'replay_failed', message: 'replay failed; live from now' }));
    }
    // No await from here on: what was committed during the replay is in `held`.
    const held = c.held;
    c.held = null;
    for (const r of held) this.offer(c, r);
    this.send(c, control('subscribed', { ...sub, replayed }));
  }

  /** Committed events, in seq order (the store's commit listener). */
  events(rows: EventRow[]): void {
    // Serialise each event once per origin, not once per client.
    const texts = new Map<string, string>();
    const textOf = (r: EventRow, base: string) => {
      const k = `${r.seq} ${base}`;
      let t = texts.get(k);
      if (t === undefined) {
        t = JSON.stringify(eventEnvelope(r, base));
        texts.set(k, t);
      }
      return t;
    };
    for (const c of this.clients.values()) {
      for (const r of rows) {
        if (c.held) c.held.push(r);
        else this.offer(c, r, textOf);
      }
    }
  }

  /** frameAnalyzed messages (the publish stage, rate-limited there): live only. */
  async detections(env: FrameEnvelope): Promise<void> {
    let text: string | null = null;
    for (const c of this.clients.values()) {
      if (c.held || !wants(c.sub, env.payload.stream, env.event) || !c.sees(env.payload.stream)) continue;
      text ??= JSON.stringify(env);
      this.send(c, text);
    }
  }

  /** A review item's change (live only; the list is in GET /api/review): event `review`. */
  review(m: ReviewMessage): void {
    let text: string | null = null;
    for (const c of this.clients.values()) {
      if (c.held || !wants(c.sub, m.after.stream, 'review') || !c.sees(m.after.stream)) continue;
      text ??= control('review', { ...m });
      this.send(c, text);
    }
  }

  /** A run's progress (live only): in the order the run reports it. */
  run(m: RunMessage): void {
    let text: string | null = null;
    for (const c of this.clients.values()) {
      if (c.held || !wantsRun(c.sub, m.payload.run_id, m.event) || !c.sees(`run:${m.payload.run_id}`)) continue;
      text ??= JSON.stringify(m);
      this.send(c, text);
    }
  }

  async object(): Promise<void> {}
  async count(): Promise<void> {}

  /** Close every client (server shutdown). */
  shutdown(): void {
    for (const c of this.clients.values()) c.conn.close(CLOSE.shutdown, 'server shutting down');
    this.clients.clear();
  }

  status() {
    return { clients: this.clients.size, ...this.counters };
  }

  private offer(c: Client, r: EventRow, textOf?: (r: EventRow, base: string) => string): void {
    if (Number(r.seq) <= c.lastSeq) return;
    if (wants(c.sub, r.stream, r.type) && c.sees(r.stream)) this.sendEvent(c, r, textOf);
    else c.lastSeq = Number(r.seq);
  }

  private sendEvent(c: Client, r: EventRow, textOf?: (r: EventRow, base: string) => string): void {
    this.send(c, textOf ? textOf(r, c.base) : JSON.stringify(eventEnvelope(r, c.base)));
    c.lastSeq = Number(r.seq);
  }

  private send(c: Client, text: string): void {
    if (c.cut) return;
    if (c.conn.bufferedAmount() > this.d.maxBufferBytes) {
      c.cut = true;
      this.counters.lagged_cut++;
      this.clients.delete(c.id);
      this.d.log.warn('websocket client lagged; cut', {
        client: c.id,
        buffered: c.conn.bufferedAmount(),
        limit: this.d.maxBufferBytes,
      });
      c.conn.send(
        control('lagged', {
          buffered_bytes: c.conn.bufferedAmount(),
          limit_bytes: this.d.maxBufferBytes,
          last_seq: c.lastSeq,
        }),
      );
      c.conn.close(CLOSE.lagged, 'lagged');
      return;
    }
    c.conn.send(text);
    c.sent++;
    this.counters.sent++;
  }
}
