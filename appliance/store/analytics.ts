/**
 * @module The analytics tables in DuckDB (migration 009). A refresh, in one transaction, folds the
 * results committed since the last one into the records (detections after the greatest result id it
 * read, zone entries after the greatest event seq: both increase in commit order), then recomputes the
 * daily rows of the days that changed. A rebuild does the same from nothing. The incremental path and
 * the rebuild run the same statements, over what is new or over everything, so they cannot disagree.
 * The writer is not slowed: nothing here runs when a result is stored.
 */
import type { Db, Sql, SqlParam } from './duckdb';
import type { Abundance, Bucketed } from '../contracts/analytics';

/** How the tables are computed: the local time zone of days and hours, and the independence interval. */
export interface Basis {
  timeZone: string;
  independenceS: number;
}

const UPSERT = `ON CONFLICT DO UPDATE SET first_ts = least(first_ts, excluded.first_ts),
  last_ts = greatest(last_ts, excluded.last_ts), detections = detections + excluded.detections`;

/** A detection or zone entry without a track counts once per minute of its session (a photo: once). */
const TRACK = 'coalesce(track_id, -1 - (epoch_ms(timestamp) // 60000))';
const HOUR = `date_trunc('hour', timezone($1, timestamp))`;

/** A record source, narrowed by `where` (whose parameters start at $2; $1 is the time zone). */
interface Source {
  sql: string;
  params: SqlParam[];
}

/** Whole-view records, from detections. */
const fromDetections = (where: string, params: SqlParam[]): Source => ({
  sql: `SELECT ${HOUR} AS hour, stream, '' AS zone, label, session_id, ${TRACK} AS track,
          min(timestamp), max(timestamp), count(*) FROM detections WHERE ${where} GROUP BY ALL`,
  params,
});

/** Named zones' records, from their entries. */
const fromZoneEntries = (where: string, params: SqlParam[]): Source => ({
  sql: `SELECT ${HOUR} AS hour, stream, zone, label, session_id, ${TRACK} AS track,
          min(timestamp), max(timestamp), count(*) FROM events
        WHERE type = 'enter' AND zone IS NOT NULL AND ${where} GROUP BY ALL`,
  params,
});

async function ingest(tx: Sql, tz: string, sources: Source[]): Promise<void> {
  for (const src of sources) {
    await tx.run(`INSERT INTO analytics_records ${src.sql} ${UPSERT}`, [tz, ...src.params]);
    await tx.run(
      `INSERT INTO analytics_dirty SELECT DISTINCT stream, CAST(hour AS DATE) FROM (${src.sql}) ON CONFLICT DO NOTHING`,
      [tz, ...src.params],
    );
  }
}

/** How far the records have read: the greatest result id and event seq folded in. */
async function watermarks(tx: Sql): Promise<{ result: string; seq: number }> {
  const rows = await tx.all<{ key: string; value: string }>(
    "SELECT key, value FROM analytics_meta WHERE key IN ('results_after', 'events_after')",
  );
  const m = new Map(rows.map((r) => [r.key, r.value]));
  return {
    result: m.get('results_after') ?? '00000000-0000-0000-0000-000000000000',
    seq: Number(m.get('events_after') ?? 0),
  };
}

async function setMeta(tx: Sql, entries: Record<string, string>): Promise<void> {
  for (const [k, v] of Object.entries(entries))
    await tx.run('INSERT INTO analytics_meta VALUES ($1, $2) ON CONFLICT DO UPDATE SET value = excluded.value', [k, v]);
}

/** Whether anything was committed or deleted since the last refresh (one cheap read, no transaction). */
async function pending(db: Sql): Promise<boolean> {
  const w = await watermarks(db);
  const r = await db.all<{ p: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM detections WHERE result_id > CAST($1 AS UUID))
         OR EXISTS (SELECT 1 FROM events WHERE seq > $2)
         OR EXISTS (SELECT 1 FROM analytics_dirty) AS p`,
    [w.result, w.seq],
  );
  return !!r[0]?.p;
}

/** Fold what was committed after the watermarks into the records, mark its days dirty, move the marks. */
async function ingestNew(tx: Sql, basis: Basis): Promise<void> {
  const w = await watermarks(tx);
  const hi = await tx.all<{ r: string | null; e: bigint | null }>(
    `SELECT (SELECT max(result_id)::VARCHAR FROM detections WHERE result_id > CAST($1 AS UUID)) AS r,
            (SELECT max(seq) FROM events WHERE seq > $2) AS e`,
    [w.result, w.seq],
  );
  const r = hi[0]!.r;
  const e = hi[0]!.e === null ? null : Number(hi[0]!.e);
  const sources: Source[] = [];
  if (r) sources.push(fromDetections('result_id > CAST($2 AS UUID) AND result_id <= CAST($3 AS UUID)', [w.result, r]));
  if (e !== null) sources.push(fromZoneEntries('seq > $2 AND seq <= $3', [w.seq, e]));
  await ingest(tx, basis.timeZone, sources);
  await setMeta(tx, {
    ...(r && { results_after: r }),
    ...(e !== null && { events_after: String(e) }),
  });
}

/** Before results are deleted (`where` over detections and events): drop their records, mark their days. */
export async function forgetResults(tx: Sql, where: string, params: SqlParam[]): Promise<void> {
  const match = `(stream, session_id) IN (SELECT DISTINCT stream, session_id FROM detections WHERE ${where}
    UNION SELECT DISTINCT stream, session_id FROM events WHERE ${where})`;
  await tx.run(
    `INSERT INTO analytics_dirty SELECT DISTINCT stream, CAST(hour AS DATE) FROM analytics_records WHERE ${match} ON CONFLICT DO NOTHING`,
    params,
  );
  await tx.run(`DELETE FROM analytics_records WHERE ${match}`, params);
}

/**
 * The records of a stream (or all) from local day `from` to `to`, each with event_start: whether an
 * independent event starts with it, i.e. nothing of its class (on its stream and zone) was seen within
 * the independence interval before it (the gap from the latest end of the records before it). Records
 * from an interval (and an hour) before `from` are read to look back across the boundary.
 */
function flagged(basis: Basis, where: string, from: string, to: string): string {
  const s = Math.round(basis.independenceS);
  return `SELECT *, coalesce(epoch(first_ts) - max(epoch(last_ts)) OVER (PARTITION BY stream, zone, label
      ORDER BY first_ts, session_id, track, hour ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) > ${s}, true) AS event_start
    FROM analytics_records
    WHERE ${where} AND hour >= CAST(${from} AS DATE) - INTERVAL ${s + 3600} SECOND AND hour < CAST(${to} AS DATE) + 1`;
}

/**
 * Fold in what is new, then recompute the daily rows of the dirty days (and of the next days, which
 * look back across midnight). Returns the number of days recomputed.
 */
export async function refresh(db: Db, basis: Basis): Promise<number> {
  if (!(await pending(db))) return 0;
  return db.transaction(async (tx) => {
    await ingestNew(tx, basis);
    return recompute(tx, basis);
  });
}

async function recompute(tx: Sql, basis: Basis): Promise<number> {
  const dirty = await tx.all<{ stream: string; days: string[]; first: string; last: string }>(
    `SELECT stream, list(DISTINCT strftime(d, '%Y-%m-%d')) AS days, strftime(min(d), '%Y-%m-%d') AS first,
       strftime(max(d), '%Y-%m-%d') AS last FROM (
       SELECT stream, day AS d FROM analytics_dirty UNION SELECT stream, day + 1 FROM analytics_dirty) GROUP BY stream`,
  );
  let n = 0;
  for (const { stream, days, first, last } of dirty) {
    await tx.run('DELETE FROM analytics_daily WHERE stream = $1 AND list_contains(CAST($2 AS DATE[]), day)', [
      stream,
      days,
    ]);
    await tx.run(
      `INSERT INTO analytics_daily
       SELECT CAST(hour AS DATE) AS day, stream, zone, label, sum(detections), count(DISTINCT (session_id, track)),
         count(*) FILTER (WHERE event_start), min(first_ts), max(last_ts), now()
       FROM (${flagged(basis, 'stream = $1', '$3', '$4')}) WHERE list_contains(CAST($2 AS DATE[]), CAST(hour AS DATE))
       GROUP BY ALL`,
      [stream, days, first, last],
    );
    n += days.length;
  }
  await tx.run('DELETE FROM analytics_dirty');
  return n;
}

/** The basis the tables were computed with, or null before the first computation. */
export async function storedBasis(db: Sql): Promise<Basis | null> {
  const rows = await db.all<{ key: string; value: string }>('SELECT key, value FROM analytics_meta');
  const m = new Map(rows.map((r) => [r.key, r.value]));
  return m.has('time_zone') ? { timeZone: m.get('time_zone')!, independenceS: Number(m.get('independence_s')) } : null;
}

/** Recompute every record and daily row from the raw results (the check of the incremental path). */
export async function rebuild(db: Db, basis: Basis): Promise<{ records: number; days: number }> {
  return db.transaction(async (tx) => {
    await tx.run('DELETE FROM analytics_records');
    await tx.run('DELETE FROM analytics_daily');
    await tx.run('DELETE FROM analytics_dirty');
    await tx.run("DELETE FROM analytics_meta WHERE key IN ('results_after', 'events_after')");
    await setMeta(tx, { time_zone: basis.timeZone, independence_s: String(basis.independenceS) });
    await ingestNew(tx, basis);
    const days = await recompute(tx, basis);
    const r = await tx.all<{ n: bigint }>('SELECT count(*) AS n FROM analytics_records');
    return { records: Number(r[0]!.n), days };
  });
}

/** Which rows a query covers: (stream, zone) pairs, or every stream's whole view; a local date range. */
export interface Scope {
  pairs: Array<{ stream: string; zone: string }> | null;
  from: string;
  to: string;
  /** With every stream (pairs null): runs left out (all of them, or these run ids). */
  hiddenRuns?: 'all' | string[];
  /** With every stream (pairs null): the runs only. */
  runsOnly?: boolean;
}

function scopeWhere(s: Scope, dayExpr: string, first: number): { sql: string; params: SqlParam[] } {
  const params: SqlParam[] = [s.from, s.to];
  const parts = [`${dayExpr} BETWEEN CAST($${first} AS DATE) AND CAST($${first + 1} AS DATE)`];
  if (s.pairs?.every((p) => p.zone === '')) {
    // Whole views only (the common case): a plain stream filter.
    params.push(s.pairs.map((p) => p.stream));
    parts.push(`list_contains($${first + 2}, stream)`, "zone = ''");
  } else if (s.pairs) {
    params.push(s.pairs.map((p) => `${p.stream}\u0000${p.zone}`));
    parts.push(`list_contains($${first + 2}, stream || chr(0) || zone)`);
  } else {
    parts.push("zone = ''");
    if (s.runsOnly) parts.push("starts_with(stream, 'run:')");
    if (s.hiddenRuns === 'all') parts.push("NOT starts_with(stream, 'run:')");
    else if (s.hiddenRuns?.length) {
      params.push(s.hiddenRuns.map((r) => `run:${r}`));
      parts.push(`NOT list_contains($${first + 2}, stream)`);
    }
  }
  return { sql: parts.join(' AND '), params };
}

const ABUNDANCE_DAILY: Record<Abundance, string> = {
  tracks: 'sum(tracks)',
  events: 'sum(events)',
  detections: 'sum(detections)',
};
const ABUNDANCE_RECORDS: Record<Abundance, string> = {
  tracks: 'count(DISTINCT (stream, session_id, track))',
  events: 'count(*) FILTER (WHERE event_start)',
  detections: 'sum(detections)',
};

/**
 * The metrics of each bucket of `cte` (columns bucket, label, n): richness S (classes with n > 0),
 * Shannon H' = -Σ p ln p (natural log), Simpson 1 - Σ p², evenness H'/ln S (null when S ≤ 1), and the
 * Hill number of order 1, exp(H'). A bucket whose classes all have n = 0 has S = 0 and the others
 * null: there is no distribution to measure.
 */
export function metricSelect(cte: string): string {
  return `, p AS (
      SELECT bucket, n / sum(n) OVER (PARTITION BY bucket) AS p FROM ${cte} WHERE n > 0),
    m AS (
      SELECT bucket, count(*) AS s, -sum(p * ln(p)) AS h, 1 - sum(p * p) AS d FROM p GROUP BY bucket),
    b AS (
      SELECT bucket, sum(n) AS total, list(label ORDER BY label) AS labels, list(n ORDER BY label) AS counts
      FROM ${cte} GROUP BY bucket)
    SELECT b.bucket, b.total, CAST(coalesce(m.s, 0) AS INTEGER) AS richness,
      m.h + 0.0 AS shannon, m.d AS simpson,
      CASE WHEN m.s > 1 THEN m.h / ln(m.s) END AS evenness, exp(m.h) AS hill1, b.labels, b.counts
    FROM b LEFT JOIN m USING (bucket)`;
}

/** Per bucket and class, the abundance: days and weeks from the daily rows, hours from the records. */
function countsSql(
  basis: Basis,
  s: Scope,
  interval: 'hour' | 'day' | 'week',
  abundance: Abundance,
  classes: string[] | null,
): { sql: string; params: SqlParam[] } {
  const fromRecords = interval === 'hour';
  const w = scopeWhere(s, fromRecords ? 'CAST(hour AS DATE)' : 'day', 1);
  const table = fromRecords ? `(${flagged(basis, 'true', '$1', '$2')})` : 'analytics_daily';
  const params = [...w.params];
  let where = w.sql;
  if (classes) {
    params.push(classes);
    where += ` AND list_contains($${params.length}, label)`;
  }
  const bucket = interval === 'hour' ? 'hour' : interval === 'week' ? "CAST(date_trunc('week', day) AS DATE)" : 'day';
  const n = fromRecords ? ABUNDANCE_RECORDS[abundance] : ABUNDANCE_DAILY[abundance];
  return {
    sql: `SELECT ${bucket} AS bucket, label, CAST(${n} AS DOUBLE) AS n
          FROM ${table} WHERE ${where} GROUP BY ALL`,
    params,
  };
}

/** Every metric per bucket, oldest first, with each class's abundance in it. */
export async function bucketed(
  db: Sql,
  basis: Basis,
  s: Scope,
  interval: 'hour' | 'day' | 'week',
  abundance: Abundance,
  classes: string[] | null,
): Promise<Bucketed[]> {
  const c = countsSql(basis, s, interval, abundance, classes);
  // Two lists rather than a MAP: DuckDB hands lists to JavaScript several times faster.
  const rows = await db.all<Omit<Bucketed, 'classes'> & { labels: string[]; counts: number[] }>(
    `WITH c AS MATERIALIZED (${c.sql}) ${metricSelect('c')}
     ORDER BY bucket`,
    c.params,
  );
  return rows.map(({ labels, counts, ...r }) => ({
    ...r,
    classes: Object.fromEntries(labels.map((l, i) => [l, counts[i]!])),
  }));
}

export interface ClassRow {
  label: string;
  total: number;
  share: number;
  first_seen: Date;
  last_seen: Date;
  days: number;
}

/** Per class over the scope: total abundance, share of all, first and last seen, days present. */
export async function classTotals(db: Sql, s: Scope, abundance: Abundance): Promise<ClassRow[]> {
  const w = scopeWhere(s, 'day', 1);
  return db.all<ClassRow>(
    `WITH d AS (SELECT day, label, ${ABUNDANCE_DAILY[abundance]} AS n, min(first_seen) AS f, max(last_seen) AS l
                FROM analytics_daily WHERE ${w.sql} GROUP BY day, label)
     SELECT label, CAST(sum(n) AS DOUBLE) AS total, CAST(sum(n) AS DOUBLE) / nullif(sum(sum(n)) OVER (), 0) AS share,
       min(f) AS first_seen, max(l) AS last_seen, CAST(count(*) FILTER (WHERE n > 0) AS INTEGER) AS days
     FROM d GROUP BY label ORDER BY total DESC, label`,
    w.params,
  );
}

/** Streams with any counted result (a session may name a stream no longer configured). */
export async function countedStreams(db: Sql): Promise<string[]> {
  const r = await db.all<{ stream: string }>('SELECT DISTINCT stream FROM analytics_daily ORDER BY stream');
  return r.map((x) => x.stream);
}
