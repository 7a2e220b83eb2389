/**
 * @module Video results in DuckDB: the ResultSink the pipeline's store stage writes to (frames with
 * their detections, and events), batched by group commit through the appender, and the event
 * queries behind /api/events.
 */
import { plateOf } from '../ocr/plates';
import type { Db, AppendValue, ColumnKind, SqlParam } from './duckdb';
import { Batcher } from '../shared/batcher';
import {
  frameEnvelope,
  type EmbeddingRecord,
  type EventRecord,
  type EventRow,
  type EventSelector,
  type FrameResult,
} from '../contracts/results';
import { whereOf } from './images';
import { increasingUuids } from '../shared/ids';

// Column order of each table (migrations add columns at the end; revision is 007's).
const RESULT_KINDS: ColumnKind[] = [
  'varchar',
  'varchar',
  'varchar',
  'bigint',
  'double',
  'timestamptz',
  'varchar',
  'varchar',
  'varchar',
];
/** The detections table's columns, in order, as the appender writes them. */
export const DETECTION_KINDS: ColumnKind[] = [
  'varchar',
  'varchar',
  'varchar',
  'timestamptz',
  'varchar',
  'float',
  'float',
  'float',
  'float',
  'float',
  'bigint',
  'varchar',
];
const EVENT_KINDS: ColumnKind[] = [
  'varchar',
  'varchar',
  'varchar',
  'timestamptz',
  'varchar',
  'varchar',
  'bigint',
  'varchar',
  'varchar',
  'varchar',
  'integer',
  'varchar',
  'varchar',
  'varchar',
  'bigint',
  'varchar',
];

const EMBEDDING_KINDS: ColumnKind[] = [
  'varchar',
  'varchar',
  'timestamptz',
  'bigint',
  'varchar',
  'varchar',
  'floats',
  'varchar',
];

type Item =
  | { kind: 'frame'; r: FrameResult }
  | { kind: 'event'; e: EventRecord }
  | { kind: 'embedding'; x: EmbeddingRecord };

/** The stored row of an event, as the writer commits it (and as listEvents reads it back). */
export function eventRowOf(e: EventRecord, seq: number): EventRow {
  const ev = e.event;
  return {
    id: e.id,
    session_id: e.sessionId,
    stream: e.stream,
    timestamp: e.timestamp,
    type: ev.type,
    label: ev.label,
    track_id: 'trackId' in ev ? BigInt(ev.trackId) : null,
    zone: 'zone' in ev ? ev.zone : null,
    line: 'line' in ev ? ev.line : null,
    direction: 'direction' in ev ? ev.direction : null,
    count: 'count' in ev ? ev.count : null,
    snapshot_key: e.snapshotKey,
    image_id: e.imageId,
    payload: JSON.stringify(ev),
    seq: BigInt(seq),
    revision: e.revision,
  };
}

export type CommitListener = (events: EventRow[]) => void;

/** The DuckDB implementation of the pipeline's ResultSink port. */
export class DuckDbSink {
  private readonly batch: Batcher<Item>;
  private readonly listeners = new Set<CommitListener>();
  written = { frames: 0, detections: 0, events: 0, embeddings: 0 };
  /** Result ids increase in commit order: analytics reads the detections added after the last it read. */
  private readonly resultId: () => string;

  private constructor(
    private readonly db: Db,
    private lastSeq: number,
    lastResultId: string,
  ) {
    this.resultId = increasingUuids(lastResultId);
    this.batch = new Batcher((items) => this.write(items), { max: 256 });
  }

  static async open(db: Db): Promise<DuckDbSink> {
    const r = await db.all<{ s: bigint | null }>('SELECT max(seq) AS s FROM events');
    const d = await db.all<{ id: string | null }>('SELECT max(result_id)::VARCHAR AS id FROM detections');
    return new DuckDbSink(db, Number(r[0]?.s ?? 0), d[0]?.id ?? '');
  }

  /** The seq of the newest committed event (0 when none). */
  get committedSeq(): number {
    return this.lastSeq;
  }

  /**
   * Called with each batch's events after it is committed, in seq order. Listeners run
   * synchronously and must not throw; a subscriber that needs older events reads them from the table.
   */
  onCommitted(fn: CommitListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  frame(r: FrameResult): Promise<void> {
    return this.batch.add({ kind: 'frame', r });
  }

  event(e: EventRecord): Promise<void> {
    return this.batch.add({ kind: 'event', e });
  }

  embedding(x: EmbeddingRecord): Promise<void> {
    return this.batch.add({ kind: 'embedding', x });
  }

  flush(): Promise<void> {
    return this.batch.flush();
  }

  private async write(items: Item[]): Promise<void> {
    const results: AppendValue[][] = [];
    const dets: AppendValue[][] = [];
    const events: AppendValue[][] = [];
    const embeddings: AppendValue[][] = [];
    const rows: EventRow[] = [];
    let seq = this.lastSeq;
    for (const it of items) {
      if (it.kind === 'embedding') {
        const { x } = it;
        embeddings.push([x.sessionId, x.stream, x.timestamp, x.trackId, x.label, x.modelId, x.vector, x.revision]);
      } else if (it.kind === 'frame') {
        const id = this.resultId();
        const env = frameEnvelope(it.r);
        results.push([
          id,
          it.r.sessionId,
          it.r.stream,
          it.r.seq,
          Number.isFinite(it.r.ptsS) ? it.r.ptsS : null,
          it.r.timestamp,
          env.event,
          JSON.stringify(env.payload),
          it.r.revision,
        ]);
        for (const d of it.r.detections)
          dets.push([
            id,
            it.r.sessionId,
            it.r.stream,
            it.r.timestamp,
            d.label,
            d.score,
            d.box[0],
            d.box[1],
            d.box[2],
            d.box[3],
            d.trackId,
            it.r.revision,
          ]);
      } else {
        const r = eventRowOf(it.e, ++seq);
        rows.push(r);
        events.push([
          r.id,
          r.session_id,
          r.stream,
          r.timestamp,
          r.type,
          r.label,
          r.track_id,
          r.zone,
          r.line,
          r.direction,
          r.count,
          r.snapshot_key,
          r.image_id,
          r.payload,
          r.seq,
          r.revision,
        ]);
      }
    }
    await this.db.append('analysis_results', RESULT_KINDS, results);
    await this.db.append('detections', DETECTION_KINDS, dets);
    await this.db.append('events', EVENT_KINDS, events);
    await this.db.append('embeddings', EMBEDDING_KINDS, embeddings);
    this.written.frames += results.length;
    this.written.detections += dets.length;
    this.written.events += events.length;
    this.written.embeddings += embeddings.length;
    // Numbers of a failed batch are not reused: seq is increasing, not dense.
    this.lastSeq = seq;
    if (rows.length) for (const fn of this.listeners) fn(rows);
  }
}

export type { EventRow, EventSelector };

export interface EventFilters {
  /** The event whose snapshot this image is. */
  image_id?: string;
  stream?: string;
  label?: string;
  type?: string;
  zone?: string;
  line?: string;
  from?: Date;
  to?: Date;
  /** Streams left out (the runs the caller may not see, as `run:<id>`). */
  hiddenStreams?: string[];
  /** Events whose object's read text (ocr@1) is this, compared as plates are (upper case, letters and digits)… */
  text?: string;
  /** …within this many edited characters (0: exact). */
  textFuzzy?: number;
}

/** An event's read text as plates are compared: upper case, letters and digits (ocr/plates.ts plateOf). */
const EVENT_TEXT = "regexp_replace(upper(json_extract_string(payload, '$.text[0]')), '[^\\p{L}\\p{N}]', '', 'g')";

const EVENT_COLUMNS = `CAST(id AS VARCHAR) AS id, CAST(session_id AS VARCHAR) AS session_id, stream, timestamp, type, label, track_id, zone, line,
  direction, count, snapshot_key, CAST(image_id AS VARCHAR) AS image_id, CAST(payload AS VARCHAR) AS payload, seq, revision`;

export async function listEvents(
  db: Db,
  f: EventFilters,
  page: number,
  limit: number,
): Promise<{ items: EventRow[]; total: number }> {
  const parts: string[] = [];
  const params: Array<string> = [];
  for (const k of ['stream', 'label', 'type', 'zone', 'line'] as const) {
    if (f[k]) {
      params.push(f[k]!);
      parts.push(`${k} = $${params.length}`);
    }
  }
  if (f.image_id) {
    params.push(f.image_id);
    parts.push(`image_id = TRY_CAST($${params.length} AS UUID)`);
  }
  if (f.text !== undefined) {
    params.push(plateOf(f.text));
    parts.push(
      f.textFuzzy
        ? `levenshtein(${EVENT_TEXT}, $${params.length}) <= ${Math.trunc(f.textFuzzy)}`
        : `${EVENT_TEXT} = $${params.length}`,
    );
  }
  const dates = whereOf({ from: f.from, to: f.to }, params.length + 1, 'timestamp');
  const where = [...parts, dates.sql].join(' AND ');
  const all: SqlParam[] = [...params, ...(dates.params as string[])];
  const hidden = f.hiddenStreams?.length ? ` AND NOT list_contains($${all.length + 1}, stream)` : '';
  if (hidden) all.push(f.hiddenStreams!);
  const total = await db.all<{ n: bigint }>(`SELECT count(*) AS n FROM events WHERE ${where}${hidden}`, all);
  const items = await db.all<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where}${hidden} ORDER BY timestamp DESC, id DESC LIMIT ${limit} OFFSET ${(page - 1) * limit}`,
    all,
  );
  return { items, total: Number(total[0]!.n) };
}

export async function getEvent(db: Db, id: string): Promise<EventRow | null> {
  const rows = await db.all<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = TRY_CAST($1 AS UUID)`, [id]);
  return rows[0] ?? null;
}

function afterSeqWhere(afterSeq: number, sel: EventSelector): { where: string; params: SqlParam[] } {
  const parts = ['seq > $1'];
  const params: SqlParam[] = [afterSeq];
  if (sel.streams?.length) {
    params.push(sel.streams);
    parts.push(`stream = ANY($${params.length}::VARCHAR[])`);
  }
  if (sel.types?.length) {
    params.push(sel.types);
    parts.push(`type = ANY($${params.length}::VARCHAR[])`);
  }
  return { where: parts.join(' AND '), params };
}

/**
 * Events committed after `afterSeq`, oldest first, at most `limit`: what the feeds send (a resuming
 * WebSocket subscriber's replay, every webhook delivery). A feed is nobody's private view: the
 * snapshot of an image made private since is left out (the REST view shows it to those who may see it).
 */
export async function eventsAfter(db: Db, afterSeq: number, sel: EventSelector, limit: number): Promise<EventRow[]> {
  const { where, params } = afterSeqWhere(afterSeq, sel);
  return db.all<EventRow>(
    `WITH e AS (SELECT ${EVENT_COLUMNS} FROM events WHERE ${where} ORDER BY seq LIMIT ${limit})
     SELECT e.* REPLACE (
         CASE WHEN i.private THEN NULL ELSE e.image_id END AS image_id,
         CASE WHEN i.private THEN NULL ELSE e.snapshot_key END AS snapshot_key)
       FROM e LEFT JOIN images i ON i.id = TRY_CAST(e.image_id AS UUID) ORDER BY e.seq`,
    params,
  );
}

/** How many events after `afterSeq` match, and when the oldest of them happened (a subscriber's backlog). */
export async function backlogAfter(
  db: Db,
  afterSeq: number,
  sel: EventSelector,
): Promise<{ count: number; oldest: Date | null }> {
  const { where, params } = afterSeqWhere(afterSeq, sel);
  const r = await db.all<{ n: bigint; oldest: Date | null }>(
    `SELECT count(*) AS n, min(timestamp) AS oldest FROM events WHERE ${where}`,
    params,
  );
  return { count: Number(r[0]?.n ?? 0), oldest: r[0]?.oldest ?? null };
}

/** The seq of an event id, or null when no such event is stored. */
export async function seqOfEvent(db: Db, id: string): Promise<number | null> {
  const r = await db.all<{ seq: bigint | null }>('SELECT seq FROM events WHERE id = TRY_CAST($1 AS UUID)', [id]);
  return r[0]?.seq == null ? null : Number(r[0].seq);
}
