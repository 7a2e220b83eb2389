/**
 * @module Push subscriptions in DuckDB: one per user and browser (by endpoint), with the user's
 * choices for it, and its delivery record (sent, the last success, failures in a row, the last error,
 * when to try again). A subscription is its owner's: listing, changing and removing go by owner.
 */
import type { Db } from './duckdb';

export interface SubscriptionRow {
  id: string;
  owner: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  agent: string | null;
  prefs: unknown;
  created: number;
  sent: number;
  lastOk: number | null;
  failures: number;
  lastError: string | null;
  nextTry: number | null;
}

interface Raw {
  id: string;
  owner: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  agent: string | null;
  prefs: string;
  created_at: Date;
  sent: bigint;
  last_ok_at: Date | null;
  failures: number;
  last_error: string | null;
  next_try_at: Date | null;
}

const rowOf = (r: Raw): SubscriptionRow => ({
  id: r.id,
  owner: r.owner,
  endpoint: r.endpoint,
  keys: { p256dh: r.p256dh, auth: r.auth },
  agent: r.agent,
  prefs: JSON.parse(r.prefs),
  created: r.created_at.getTime(),
  sent: Number(r.sent),
  lastOk: r.last_ok_at?.getTime() ?? null,
  failures: r.failures,
  lastError: r.last_error,
  nextTry: r.next_try_at?.getTime() ?? null,
});

const ms = (v: number) => `to_timestamp(${Number(v)}::DOUBLE / 1000)`;

export class NotifyStore {
  constructor(private readonly db: Db) {}

  /**
   * Keep a browser's subscription for its owner. The same endpoint again (the browser subscribed
   * anew) replaces the keys and keeps the id and choices, unless another user held it.
   */
  async subscribe(
    s: Pick<SubscriptionRow, 'owner' | 'endpoint' | 'keys' | 'agent' | 'prefs'>,
    id: string,
  ): Promise<SubscriptionRow> {
    await this.db.run(
      `INSERT INTO push_subscriptions (id, owner, endpoint, p256dh, auth, agent, prefs) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (endpoint) DO UPDATE SET
         id = CASE WHEN push_subscriptions.owner = excluded.owner THEN push_subscriptions.id ELSE excluded.id END,
         prefs = CASE WHEN push_subscriptions.owner = excluded.owner THEN push_subscriptions.prefs ELSE excluded.prefs END,
         owner = excluded.owner, p256dh = excluded.p256dh, auth = excluded.auth, agent = excluded.agent,
         failures = 0, last_error = NULL, next_try_at = NULL`,
      [id, s.owner, s.endpoint, s.keys.p256dh, s.keys.auth, s.agent, JSON.stringify(s.prefs)],
    );
    const r = await this.db.all<Raw>('SELECT * FROM push_subscriptions WHERE endpoint = ?', [s.endpoint]);
    return rowOf(r[0]!);
  }

  /** Every subscription (the sender's view), or one owner's. */
  async list(owner?: string): Promise<SubscriptionRow[]> {
    const rows = await this.db.all<Raw>(
      `SELECT * FROM push_subscriptions ${owner !== undefined ? 'WHERE owner = ?' : ''} ORDER BY created_at, id`,
      owner !== undefined ? [owner] : [],
    );
    return rows.map(rowOf);
  }

  async get(id: string): Promise<SubscriptionRow | null> {
    const r = await this.db.all<Raw>('SELECT * FROM push_subscriptions WHERE id = ?', [id]);
    return r[0] ? rowOf(r[0]) : null;
  }

  /** Change the choices of the owner's subscription; false when it is not theirs or not there. */
  async setPrefs(id: string, owner: string, prefs: unknown): Promise<boolean> {
    const r = await this.db.all<{ id: string }>(
      'UPDATE push_subscriptions SET prefs = ? WHERE id = ? AND owner = ? RETURNING id',
      [JSON.stringify(prefs), id, owner],
    );
    return r.length > 0;
  }

  /** Remove the owner's subscription (owner null: any, for a gone endpoint); false when there was none. */
  async remove(id: string, owner: string | null): Promise<boolean> {
    const r = await this.db.all<{ id: string }>(
      `DELETE FROM push_subscriptions WHERE id = ? ${owner !== null ? 'AND owner = ?' : ''} RETURNING id`,
      owner !== null ? [id, owner] : [id],
    );
    return r.length > 0;
  }

  async delivered(id: string, at: number): Promise<void> {
    await this.db.run(
      `UPDATE push_subscriptions SET sent = sent + 1, last_ok_at = ${ms(at)}, failures = 0, last_error = NULL, next_try_at = NULL WHERE id = ?`,
      [id],
    );
  }

  async failed(id: string, error: string, nextTry: number): Promise<void> {
    await this.db.run(
      `UPDATE push_subscriptions SET failures = failures + 1, last_error = ?, next_try_at = ${ms(nextTry)} WHERE id = ?`,
      [error.slice(0, 500), id],
    );
  }
}
