/**
 * @module Review items to people's browsers: each change of an item is weighed against every
 * subscription's choices (rules.ts); a push goes to those it concerns, one at a time per
 * subscription. A subscription whose push service says it is gone (404, 410) is deleted; one that
 * fails waits (30 s, doubling to an hour) before it is tried again, and pushes meant for it in the
 * meantime are counted, not queued: an alert an hour late helps no one. Ports in, no I/O of its own.
 */
import type { ReviewMessage } from '../contracts/reviews';
import type { Logger } from '../shared/log';
import { payloadOf, testPayload, type PushPayload } from './payload';
import { decide, DEFAULT_PREFS, type NotifyPrefs } from './rules';
import type { PushResult, PushTarget } from './webpush';

export interface Subscription {
  id: string;
  owner: string;
  endpoint: string;
  keys: PushTarget['keys'];
  prefs: unknown;
  failures: number;
  nextTry: number | null;
}

/** What the service needs of the subscription store. */
export interface SubscriptionPort {
  list(): Promise<Subscription[]>;
  delivered(id: string, at: number): Promise<void>;
  failed(id: string, error: string, nextTry: number): Promise<void>;
  remove(id: string, owner: null): Promise<boolean>;
}

export interface NotifyCounts {
  sent: number;
  failed: number;
  gone: number;
  /** Held back by the person's choices, by reason (quiet, snoozed, cooldown), or by a backoff. */
  held: Record<string, number>;
}

export interface NotifyDeps {
  store: SubscriptionPort;
  send: (target: PushTarget, payload: string) => Promise<PushResult>;
  now: () => number;
  /** The box's local time of day, in minutes, at `now`. */
  localMinute: (at: number) => number;
  /** An item's start as the box tells the time (for the body). */
  timeOf: (at: number) => string;
  /** The dashboard's base path ("/" or "/fovea/"). */
  base: string;
  /** A signed link to an image's thumbnail made at `now`, under the base (links.ts). */
  thumb: (image: string, now: number) => string;
  /** May this user see this stream's items? */
  canSee: (owner: string, stream: string) => boolean;
  log: Logger;
}

const BACKOFF_S = 30;
const BACKOFF_MAX_S = 3600;

/** The wait after the n-th failure in a row: 30 s, doubling, at most an hour. */
export const backoffS = (failures: number) => Math.min(BACKOFF_MAX_S, BACKOFF_S * 2 ** Math.max(0, failures - 1));

/** The choices as stored, over the defaults (a subscription stored before a choice existed gets its default). */
export const prefsOf = (stored: unknown): NotifyPrefs => ({ ...DEFAULT_PREFS, ...(stored as Partial<NotifyPrefs>) });

export class Notifier {
  readonly counts: NotifyCounts = { sent: 0, failed: 0, gone: 0, held: {} };
  /** When each subscription last got a push from each stream: `${id} ${stream}` → epoch ms. */
  private last = new Map<string, number>();

  constructor(private readonly d: NotifyDeps) {}

  private hold(why: string): void {
    this.counts.held[why] = (this.counts.held[why] ?? 0) + 1;
  }

  /** One review change to everyone it concerns; resolves when every push has been tried. */
  async review(m: ReviewMessage): Promise<void> {
    const now = this.d.now();
    const minute = this.d.localMinute(now);
    const subs = await this.d.store.list();
    const payload = payloadOf(m.after, this.d.base, this.d.timeOf(m.after.start), (image) => this.d.thumb(image, now));
    await Promise.all(
      subs.map(async (s) => {
        if (!this.d.canSee(s.owner, m.after.stream)) return;
        const key = `${s.id} ${m.after.stream}`;
        const verdict = decide(m, prefsOf(s.prefs), now, minute, this.last.get(key) ?? null);
        if (!verdict.send) {
          if (verdict.why !== 'no_match' && verdict.why !== 'already') this.hold(verdict.why);
          return;
        }
        if (s.nextTry !== null && now < s.nextTry) return this.hold('backoff');
        this.last.set(key, now);
        await this.push(s, payload, now);
      }),
    );
  }

  /** The test button's push, to one subscription: it names the box and opens the dashboard. */
  test(s: Subscription, device: string): Promise<PushResult> {
    return this.push(s, testPayload(this.d.base, device));
  }

  /** A push to one subscription; how it went is recorded. */
  async push(s: Subscription, payload: PushPayload, now = this.d.now()): Promise<PushResult> {
    const r = await this.d.send({ endpoint: s.endpoint, keys: s.keys }, JSON.stringify(payload));
    if (r.ok) {
      this.counts.sent++;
      await this.d.store.delivered(s.id, now);
    } else if (r.gone) {
      this.counts.gone++;
      await this.d.store.remove(s.id, null);
      this.d.log.info('push subscription gone: removed', { subscription: s.id, status: r.status });
    } else {
      this.counts.failed++;
      await this.d.store.failed(s.id, r.error, now + backoffS(s.failures + 1) * 1000);
      this.d.log.warn('push failed', { subscription: s.id, status: r.status, error: r.error });
    }
    return r;
  }
}

/** The time of day on the box (its local zone), in minutes. */
export function localMinuteOf(at: number): number {
  const d = new Date(at);
  return d.getHours() * 60 + d.getMinutes();
}

/** "14:02" on the box's clock. */
export function clockOf(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
