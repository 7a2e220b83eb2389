/**
 * @module The durable outbox in DuckDB: enqueue under the overflow policy, read the oldest in order,
 * delete what was delivered. An in-memory summary (seq, kind, bytes) mirrors the table so the policy
 * does not read every row on each enqueue.
 */
import type { Db } from './duckdb';
import { realTimers, type Timers } from '../shared/timers';
import type { Message } from '../contracts/messages';
import { makeRoom, type Limits, type Queued } from './outbox-policy';

export interface OutboxRow extends Message {
  seq: number;
  createdAt: Date;
}

/** A queued message as the policy sees it, with when it was queued (ms since epoch). */
type Entry = Queued & { at: number };

export class Outbox {
  private summary: Entry[] = [];
  dropped = { frames: 0 };
  overLimit = false;

  private constructor(
    private readonly db: Db,
    private readonly limits: Limits,
    private readonly clock: Pick<Timers, 'now'>,
  ) {}

  /** The clock stamps each message as it is queued (the oldest one's age is in the status). */
  static async open(db: Db, limits: Limits, clock: Pick<Timers, 'now'> = realTimers): Promise<Outbox> {
    const o = new Outbox(db, limits, clock);
    const rows = await db.all<{ seq: bigint; kind: string; bytes: number; created_at: Date }>(
      'SELECT seq, kind, bytes, created_at FROM outbox ORDER BY seq',
    );
    o.summary = rows.map((r) => ({
      seq: Number(r.seq),
      kind: r.kind as Queued['kind'],
      bytes: r.bytes,
      at: new Date(r.created_at).getTime(),
    }));
    return o;
  }

  get depth(): number {
    return this.summary.length;
  }

  get bytes(): number {
    return this.summary.reduce((s, q) => s + q.bytes, 0);
  }

  /** Seconds since the oldest queued message was queued; null when empty. */
  oldestAgeS(now = this.clock.now()): number | null {
    const first = this.summary[0];
    return first ? Math.max(0, Math.round((now - first.at) / 1000)) : null;
  }

  /** Queue a message; returns false when the policy dropped it (a per-frame message, outbox full). */
  async enqueue(m: Message): Promise<boolean> {
    const bytes = Buffer.byteLength(m.topic) + Buffer.byteLength(m.payload);
    const d = makeRoom(this.summary, { kind: m.kind, bytes }, this.limits);
    this.overLimit = d.overLimit;
    if (d.drop.length) {
      await this.db.run('DELETE FROM outbox WHERE seq IN (SELECT unnest($1::BIGINT[]))', [d.drop.map(String)]);
      const gone = new Set(d.drop);
      this.summary = this.summary.filter((q) => !gone.has(q.seq));
      this.dropped.frames += d.drop.length;
    }
    if (d.dropIncoming) {
      this.dropped.frames++;
      return false;
    }
    const at = this.clock.now();
    const r = await this.db.all<{ seq: bigint }>(
      'INSERT INTO outbox (topic, payload, qos, retain, kind, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::DOUBLE / 1000)) RETURNING seq',
      [m.topic, m.payload, m.qos, m.retain, m.kind, bytes, at],
    );
    this.summary.push({ seq: Number(r[0]!.seq), kind: m.kind, bytes, at });
    return true;
  }

  async oldest(limit: number): Promise<OutboxRow[]> {
    const rows = await this.db.all<{
      seq: bigint;
      topic: string;
      payload: string;
      qos: number;
      retain: boolean;
      kind: string;
      created_at: Date;
    }>(`SELECT seq, topic, payload, qos, retain, kind, created_at FROM outbox ORDER BY seq LIMIT ${limit}`);
    return rows.map((r) => ({
      seq: Number(r.seq),
      topic: r.topic,
      payload: r.payload,
      qos: r.qos as 0 | 1 | 2,
      retain: r.retain,
      kind: r.kind as Message['kind'],
      createdAt: r.created_at,
    }));
  }

  async delivered(seq: number): Promise<void> {
    await this.db.run('DELETE FROM outbox WHERE seq = $1', [seq]);
    this.summary = this.summary.filter((q) => q.seq !== seq);
  }
}
