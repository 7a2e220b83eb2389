/**
 * @module The segment index and the review items in DuckDB: segments listed once complete (the
 * record maintainer's port), items upserted as they change, reviewed marks per user, and the
 * queries of the API (a stream's timeline, a range's segments, the review list with its filters).
 */
import type { Db, Sql } from './duckdb';
import type { ReviewItem, Severity } from '../contracts/reviews';
import type { RecordedSegment } from '../contracts/recordings';

export type SegmentRow = RecordedSegment;

interface RawSegment {
  id: string;
  stream: string;
  path: string;
  start_ts: Date;
  end_ts: Date;
  bytes: bigint;
  codec: string;
  width: number | null;
  height: number | null;
  keyframes: number[];
  revision: string | null;
}

const segmentOf = (r: RawSegment): SegmentRow => ({
  id: r.id,
  stream: r.stream,
  path: r.path,
  start: r.start_ts.getTime(),
  end: r.end_ts.getTime(),
  bytes: Number(r.bytes),
  codec: r.codec,
  width: r.width,
  height: r.height,
  keyframes: r.keyframes.map(Number),
  revision: r.revision,
});

export class RecordingStore {
  constructor(private readonly db: Db) {}

  async addSegment(s: SegmentRow): Promise<void> {
    await this.db.run(
      `INSERT OR REPLACE INTO recording_segments VALUES (?, ?, ?, to_timestamp(?::DOUBLE / 1000), to_timestamp(?::DOUBLE / 1000), ?, ?, ?, ?, ?, ?, now())`,
      [
        s.id,
        s.stream,
        s.path,
        s.start,
        s.end,
        s.bytes,
        s.codec,
        s.width,
        s.height,
        new Float32Array(s.keyframes),
        s.revision,
      ],
    );
  }

  async removeSegments(ids: string[]): Promise<void> {
    if (ids.length) await this.db.run('DELETE FROM recording_segments WHERE list_contains(?, id)', [ids]);
  }

  /** Every indexed segment (all streams, or one), oldest first. */
  async segments(stream?: string): Promise<SegmentRow[]> {
    const rows = await this.db.all<RawSegment>(
      `SELECT * FROM recording_segments ${stream ? 'WHERE stream = ?' : ''} ORDER BY start_ts, id`,
      stream ? [stream] : [],
    );
    return rows.map(segmentOf);
  }

  /** Where a stream's indexed recording ends (ms), or null when nothing is indexed. */
  async lastEnd(stream: string): Promise<number | null> {
    const r = await this.db.all<{ e: Date | null }>(
      'SELECT max(end_ts) AS e FROM recording_segments WHERE stream = ?',
      [stream],
    );
    return r[0]?.e ? r[0].e.getTime() : null;
  }

  /** A stream's segments that overlap [start, end) (ms), oldest first. */
  async range(stream: string, start: number, end: number): Promise<SegmentRow[]> {
    const rows = await this.db.all<RawSegment>(
      `SELECT * FROM recording_segments WHERE stream = ? AND end_ts > to_timestamp(?::DOUBLE / 1000)
         AND start_ts < to_timestamp(?::DOUBLE / 1000) ORDER BY start_ts, id`,
      [stream, start, end],
    );
    return rows.map(segmentOf);
  }
}

interface RawItem {
  id: string;
  stream: string;
  start_ts: Date;
  end_ts: Date | null;
  severity: Severity;
  labels: string[];
  sub_labels: string[] | null;
  texts: string[] | null;
  zones: string[];
  tracks: bigint[];
  events: string[];
  thumb: string | null;
  keep: boolean;
  reviewed?: boolean;
}

/** A stored item as the API shows it: the item, whether it is kept for ever, and whether the asker has reviewed it. */
export type StoredItem = ReviewItem & { keep: boolean; reviewed: boolean };

const itemOf = (r: RawItem): StoredItem => ({
  id: String(r.id),
  stream: r.stream,
  start: r.start_ts.getTime(),
  end: r.end_ts ? r.end_ts.getTime() : null,
  severity: r.severity,
  labels: r.labels,
  sub_labels: r.sub_labels ?? [],
  texts: r.texts ?? [],
  zones: r.zones,
  tracks: r.tracks.map(Number),
  events: r.events,
  thumb: r.thumb ? String(r.thumb) : null,
  keep: r.keep,
  reviewed: !!r.reviewed,
});

export interface ItemQuery {
  user: string;
  stream?: string;
  severity?: Severity;
  label?: string;
  /** Items with an object of this sub-label. */
  subLabel?: string;
  zone?: string;
  /** ms; items that overlap [after, before). */
  after?: number;
  before?: number;
  reviewed?: boolean;
  limit: number;
}

const ts = (ms: number) => new Date(ms).toISOString();

export class ReviewStore {
  constructor(private readonly db: Db) {}

  /** Write an item as it is now (new, changed or ended); its keep mark and reads stay. */
  async put(it: ReviewItem): Promise<void> {
    await this.db.run(
      `INSERT INTO review_items (id, stream, start_ts, end_ts, severity, labels, sub_labels, texts, zones, tracks, events, thumb, updated_at)
       VALUES (?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?, ?, ?, ?, ?, ?::BIGINT[], ?, ?, now())
       ON CONFLICT (id) DO UPDATE SET end_ts = excluded.end_ts, severity = excluded.severity, labels = excluded.labels,
         sub_labels = excluded.sub_labels, texts = excluded.texts, zones = excluded.zones, tracks = excluded.tracks, events = excluded.events, thumb = excluded.thumb,
         updated_at = excluded.updated_at`,
      [
        it.id,
        it.stream,
        ts(it.start),
        it.end === null ? null : ts(it.end),
        it.severity,
        it.labels,
        it.sub_labels,
        it.texts,
        it.zones,
        JSON.stringify(it.tracks),
        it.events,
        it.thumb,
      ],
    );
  }

  /** Items left open by a box that stopped without ending them end at their last update. */
  async endOpen(): Promise<number> {
    const r = await this.db.all<{ n: bigint }>(
      'UPDATE review_items SET end_ts = greatest(start_ts, updated_at) WHERE end_ts IS NULL RETURNING 1 AS n',
    );
    return r.length;
  }

  async get(id: string, user: string): Promise<StoredItem | null> {
    const rows = await this.list({ user, limit: 1 }, 'i.id = ?::UUID', [id]);
    return rows[0] ?? null;
  }

  async list(q: ItemQuery, extra = '', extraParams: string[] = []): Promise<StoredItem[]> {
    const where: string[] = [];
    const params: Array<string | number | boolean> = [q.user];
    if (extra) {
      where.push(extra);
      params.push(...extraParams);
    }
    if (q.stream) where.push('i.stream = ?') && params.push(q.stream);
    if (q.severity) where.push('i.severity = ?') && params.push(q.severity);
    if (q.label) where.push('list_contains(i.labels, ?)') && params.push(q.label);
    if (q.subLabel) where.push('list_contains(i.sub_labels, ?)') && params.push(q.subLabel);
    if (q.zone) where.push('list_contains(i.zones, ?)') && params.push(q.zone);
    if (q.after !== undefined) where.push('coalesce(i.end_ts, now()) >= ?::TIMESTAMPTZ') && params.push(ts(q.after));
    if (q.before !== undefined) where.push('i.start_ts < ?::TIMESTAMPTZ') && params.push(ts(q.before));
    if (q.reviewed !== undefined) where.push(`(r.item_id IS ${q.reviewed ? 'NOT ' : ''}NULL)`);
    params.push(q.limit);
    const rows = await this.db.all<RawItem>(
      `SELECT i.*, r.item_id IS NOT NULL AS reviewed FROM review_items i
       LEFT JOIN review_reads r ON r.item_id = i.id AND r.username = ?
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY (r.item_id IS NOT NULL), i.start_ts DESC LIMIT ?`,
      params,
    );
    return rows.map(itemOf);
  }

  /** Mark items reviewed (or not) for one user; answers how many changed. */
  async markReviewed(ids: string[], user: string, reviewed: boolean): Promise<void> {
    if (!ids.length) return;
    if (reviewed)
      await this.db.run(
        `INSERT OR IGNORE INTO review_reads SELECT id, ?, now() FROM review_items WHERE list_contains(?, id::VARCHAR)`,
        [user, ids],
      );
    else
      await this.db.run('DELETE FROM review_reads WHERE username = ? AND list_contains(?, item_id::VARCHAR)', [
        user,
        ids,
      ]);
  }

  async setKeep(id: string, keep: boolean): Promise<boolean> {
    const r = await this.db.all('UPDATE review_items SET keep = ? WHERE id = ?::UUID RETURNING id', [keep, id]);
    return r.length > 0;
  }

  /** Every item's span, severity and keep mark (what retention weighs), all streams. */
  async spans(): Promise<
    Array<{ stream: string; start: number; end: number | null; severity: Severity; keep: boolean }>
  > {
    const rows = await this.db.all<RawItem>('SELECT stream, start_ts, end_ts, severity, keep FROM review_items');
    return rows.map((r) => ({
      stream: r.stream,
      start: r.start_ts.getTime(),
      end: r.end_ts ? r.end_ts.getTime() : null,
      severity: r.severity,
      keep: r.keep,
    }));
  }

  /** A stream's ended items of these severities whose clip is not kept yet, oldest first (the archive's to-do list). */
  async clipless(
    stream: string,
    severities: Severity[],
    limit: number,
  ): Promise<Array<{ id: string; stream: string; start: number; end: number }>> {
    if (!severities.length) return [];
    const rows = await this.db.all<RawItem>(
      `SELECT id, stream, start_ts, end_ts FROM review_items WHERE stream = ? AND clip_key IS NULL AND end_ts IS NOT NULL
         AND list_contains(?, severity) ORDER BY end_ts LIMIT ?`,
      [stream, severities, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      stream: r.stream,
      start: r.start_ts.getTime(),
      end: r.end_ts!.getTime(),
    }));
  }

  /** Mark an item's clip as kept (in the caller's transaction, with its upload queued). */
  async setClip(tx: Sql, id: string, key: string): Promise<void> {
    await tx.run('UPDATE review_items SET clip_key = ? WHERE id = ?::UUID', [key, id]);
  }

  /** The item whose events include this one (an event's clip is its item's). */
  async ofEvent(eventId: string): Promise<string | null> {
    const r = await this.db.all<{ id: string }>('SELECT id FROM review_items WHERE list_contains(events, ?) LIMIT 1', [
      eventId,
    ]);
    return r[0] ? String(r[0].id) : null;
  }
}
