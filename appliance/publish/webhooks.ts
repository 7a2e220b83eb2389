/**
 * @module Webhooks: each configured URL gets the stored events it selects, one JSON POST per event
 * (the WebSocket envelope), in commit order, signed (see webhook-policy.ts). A worker per webhook
 * reads the events table after its cursor, so a receiver that is down, slow or failing loses
 * nothing: the events wait in DuckDB and the cursor (kept in webhook_cursors) moves only past an
 * event that was delivered or refused for good. A new webhook starts at the newest event.
 */
import type { Db } from '../store/duckdb';
import type { EventRow } from '../contracts/results';
import { backlogAfter, eventsAfter } from '../store/results';
import { loadCursor, saveCursor } from '../store/webhook-cursors';
import { eventEnvelope } from './envelope';
import { displayUrl, outcomeOf, retryDelayMs, sign } from './webhook-policy';
import type { Logger } from '../shared/log';
import { VERSION } from '../shared/version';
import { BackgroundLoop } from '../shared/loop';
import type { Timers } from '../shared/timers';

export interface WebhookConfig {
  name: string;
  url: string;
  secret: string;
  streams: string[];
  events: string[];
  timeout_ms: number;
}

export interface WebhookDeps {
  db: Db;
  committedSeq(): number;
  /** Base of snapshot links in the events (api.public_url, else the API address). */
  base: string;
  log: Logger;
  fetch?: typeof fetch;
  random?: () => number;
  /** The clock of retries, timestamps and signatures (real by default). */
  timers?: Timers;
}

const PAGE = 100;

export class WebhookWorker extends BackgroundLoop {
  private cursor = 0;
  private readonly counters = { delivered: 0, skipped: 0, failed_attempts: 0 };
  private state: 'idle' | 'delivering' | 'retrying' = 'idle';
  private last: {
    status: number | null;
    error: string | null;
    error_at: string | null;
    success_at: string | null;
    next_attempt_at: string | null;
  } = { status: null, error: null, error_at: null, success_at: null, next_attempt_at: null };

  private constructor(
    readonly c: WebhookConfig,
    private readonly d: WebhookDeps,
  ) {
    super(d.timers);
  }

  static async open(c: WebhookConfig, d: WebhookDeps): Promise<WebhookWorker> {
    const w = new WebhookWorker(c, d);
    const saved = await loadCursor(d.db, c.name);
    w.cursor = saved ?? d.committedSeq();
    if (saved === null) await saveCursor(d.db, c.name, w.cursor);
    return w;
  }

  protected crashed(e: unknown): void {
    this.d.log.error('webhook worker failed', { webhook: this.c.name, error: e });
  }

  /** New events are committed: wake an idle worker (a waiting retry keeps its schedule). */
  kick(): void {
    if (this.state === 'idle') this.nap.wake();
  }

  async status() {
    const backlog = await backlogAfter(this.d.db, this.cursor, { streams: this.c.streams, types: this.c.events });
    return {
      name: this.c.name,
      url: displayUrl(this.c.url),
      state: this.state,
      cursor_seq: this.cursor,
      pending: backlog.count,
      oldest_pending_age_s: backlog.oldest
        ? Math.max(0, Math.round((this.timers.now() - new Date(backlog.oldest).getTime()) / 1000))
        : null,
      ...this.counters,
      last_status: this.last.status,
      last_error: this.last.error,
      last_error_at: this.last.error_at,
      last_success_at: this.last.success_at,
      next_attempt_at: this.last.next_attempt_at,
    };
  }

  protected async run(): Promise<void> {
    const sel = { streams: this.c.streams, types: this.c.events };
    while (!this.stopped) {
      const upTo = this.d.committedSeq();
      const rows = await eventsAfter(this.d.db, this.cursor, sel, PAGE);
      for (const r of rows) {
        if (!(await this.deliver(r))) return;
        await this.advance(Number(r.seq));
      }
      if (rows.length < PAGE) {
        // Everything up to upTo was visible to the query: events the filter left out are passed.
        if (upTo > this.cursor) await this.advance(upTo);
        if (this.d.committedSeq() === upTo) await this.nap.sleep(null);
      }
    }
  }

  private async advance(seq: number): Promise<void> {
    this.cursor = seq;
    await saveCursor(this.d.db, this.c.name, seq);
  }

  /** Deliver one event, retrying until it is delivered or refused for good; false when stopped. */
  private async deliver(r: EventRow): Promise<boolean> {
    const body = JSON.stringify(eventEnvelope(r, this.d.base));
    for (let attempt = 1; !this.stopped; attempt++) {
      this.state = attempt === 1 ? 'delivering' : 'retrying';
      const { status, error } = await this.post(r.id, body, attempt);
      const outcome = outcomeOf(status);
      this.last.status = status;
      if (outcome === 'delivered') {
        this.counters.delivered++;
        this.last.success_at = new Date(this.timers.now()).toISOString();
        this.last.next_attempt_at = null;
        this.state = 'idle';
        return true;
      }
      this.last.error = error ?? `HTTP ${status}`;
      this.last.error_at = new Date(this.timers.now()).toISOString();
      if (outcome === 'skip') {
        this.counters.skipped++;
        this.last.error = `HTTP ${status}: event ${r.id} refused by the receiver; skipped (it stays stored)`;
        this.d.log.warn('webhook refused an event; skipped', { webhook: this.c.name, event: r.id, status });
        this.state = 'idle';
        return true;
      }
      this.counters.failed_attempts++;
      const delay = retryDelayMs(attempt, (this.d.random ?? Math.random)());
      this.last.next_attempt_at = new Date(this.timers.now() + delay).toISOString();
      if (attempt <= 3 || attempt % 10 === 0) {
        this.d.log.warn('webhook delivery failed; will retry', {
          webhook: this.c.name,
          url: displayUrl(this.c.url),
          event: r.id,
          attempt,
          error: this.last.error,
          retry_in_ms: delay,
        });
      }
      await this.nap.sleep(delay);
    }
    return false;
  }

  private async post(
    eventId: string,
    body: string,
    attempt: number,
  ): Promise<{ status: number | null; error: string | null }> {
    const ts = Math.floor(this.timers.now() / 1000);
    try {
      const res = await (this.d.fetch ?? fetch)(this.c.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.c.timeout_ms)]),
        headers: {
          'content-type': 'application/json',
          'user-agent': `fovea/${VERSION}`,
          'x-fovea-webhook': this.c.name,
          'x-fovea-event-id': eventId,
          'x-fovea-delivery-attempt': String(attempt),
          'x-fovea-timestamp': String(ts),
          'x-fovea-signature': sign(this.c.secret, ts, body),
        },
      });
      await res.body?.cancel().catch(() => undefined);
      const redirect =
        res.status >= 300 && res.status < 400
          ? `HTTP ${res.status}: redirects are not followed; configure the final URL`
          : null;
      return { status: res.status, error: redirect };
    } catch (e) {
      const name = (e as Error).name;
      return {
        status: null,
        error:
          name === 'TimeoutError' ? `timed out after ${this.c.timeout_ms} ms` : `unreachable: ${(e as Error).message}`,
      };
    }
  }
}
