/**
 * @module Runs in DuckDB: the durable queue (a run is a row; the next one is the highest priority,
 * oldest first), its items with their per-step state and output, and its bounded log. Queries only:
 * what a state change means is decided in runs/.
 */
import type { Db, Sql, SqlParam } from './duckdb';
import type { ItemStatus, RunStatus, Steps } from '../contracts/runs';
import { forgetResults } from './analytics';
import type { Viewer } from './images';

export interface RunRow {
  id: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  status: RunStatus;
  pipeline: string;
  pipeline_text: string;
  pipeline_file: string;
  revision: string | null;
  spec: string;
  priority: number;
  label: string | null;
  idempotency_key: string | null;
  spec_hash: string;
  parent_id: string | null;
  created_by: string | null;
  total: number;
  error: string | null;
  /** Who the run and all it makes belong to: a user id, `jwt:<sub>`, or 'box'. */
  owner: string;
  /** Shown to its owner and admins only (a private photo among its inputs, or asked for). */
  private: boolean;
  /** Bytes its uploads hold on disk, charged to its owner's quota. */
  upload_bytes: number;
}

export interface ItemRow {
  run_id: string;
  idx: number;
  kind: 'upload' | 'image' | 'video';
  source: string;
  name: string | null;
  status: ItemStatus;
  attempts: number;
  session_id: string | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  steps: string;
  output: string | null;
  object_key: string | null;
}

export type NewItem = Pick<ItemRow, 'idx' | 'kind' | 'source' | 'name'> & { steps: Steps; objectKey?: string | null };

const RUN_COLUMNS =
  'id::VARCHAR AS id, created_at, started_at, finished_at, status, pipeline, pipeline_text, pipeline_file, revision, spec::VARCHAR AS spec, priority, label, idempotency_key, spec_hash, parent_id::VARCHAR AS parent_id, created_by, total, error, owner, private, CAST(upload_bytes AS DOUBLE) AS upload_bytes';
const ITEM_COLUMNS =
  'run_id::VARCHAR AS run_id, idx, kind, source, name, status, attempts, session_id::VARCHAR AS session_id, error, started_at, finished_at, steps::VARCHAR AS steps, output::VARCHAR AS output, object_key';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function insertRun(tx: Sql, r: RunRow, items: NewItem[]): Promise<void> {
  await tx.run(
    `INSERT INTO runs VALUES ($1, $2::TIMESTAMPTZ, NULL, NULL, $3, $4, $5, $6, $7, $8::JSON, $9, $10, $11, $12, $13, $14, $15, NULL, $16, $17, $18)`,
    [
      r.id,
      iso(r.created_at),
      r.status,
      r.pipeline,
      r.pipeline_text,
      r.pipeline_file,
      r.revision,
      r.spec,
      r.priority,
      r.label,
      r.idempotency_key,
      r.spec_hash,
      r.parent_id,
      r.created_by,
      r.total,
      r.owner,
      r.private,
      r.upload_bytes,
    ],
  );
  // One statement per 500 items: a 10,000-photo run is accepted in a few statements, not 10,000.
  for (let i = 0; i < items.length; i += 500) {
    const chunk = items.slice(i, i + 500);
    const params: SqlParam[] = [r.id];
    const rows = chunk.map((it) => {
      const n = params.length;
      params.push(it.idx, it.kind, it.source, it.name, JSON.stringify(it.steps), it.objectKey ?? null);
      return `($1, $${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, 'pending', 0, NULL, NULL, NULL, NULL, $${n + 5}::JSON, NULL, $${n + 6})`;
    });
    await tx.run(`INSERT INTO run_items VALUES ${rows.join(', ')}`, params);
  }
}

export async function getRun(sql: Sql, id: string): Promise<RunRow | null> {
  const rows = await sql.all<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = TRY_CAST($1 AS UUID)`, [id]);
  return rows[0] ?? null;
}

/** The run an owner submitted with an idempotency key (keys are per owner). */
export async function runByKey(sql: Sql, owner: string, key: string): Promise<RunRow | null> {
  const rows = await sql.all<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE owner = $1 AND idempotency_key = $2`, [
    owner,
    key,
  ]);
  return rows[0] ?? null;
}

/** Whether a viewer may see a run: its owner, an admin, or anyone when it is not private. */
export const runVisible = (r: Pick<RunRow, 'owner' | 'private'>, v: Viewer): boolean =>
  v.admin || !r.private || r.owner === v.user;

/** The owner of every private run, by run id. */
export async function privateRunOwners(sql: Sql): Promise<Map<string, string>> {
  const rows = await sql.all<{ id: string; owner: string }>('SELECT id::VARCHAR AS id, owner FROM runs WHERE private');
  return new Map(rows.map((r) => [r.id, r.owner]));
}

export interface RunFilters {
  status?: string[];
  pipeline?: string;
  label?: string;
  from?: Date | null;
  to?: Date | null;
  /** Only the runs this viewer may see. */
  viewer?: Viewer;
}

export async function listRuns(
  sql: Sql,
  f: RunFilters,
  page: number,
  limit: number,
): Promise<{ items: RunRow[]; total: number }> {
  const parts: string[] = [];
  const params: SqlParam[] = [];
  const add = (clause: (n: number) => string, v: SqlParam) => {
    params.push(v);
    parts.push(clause(params.length));
  };
  if (f.status?.length) add((n) => `list_contains($${n}, status)`, f.status);
  if (f.pipeline) add((n) => `pipeline = $${n}`, f.pipeline);
  if (f.label) add((n) => `label = $${n}`, f.label);
  if (f.from) add((n) => `created_at >= $${n}::TIMESTAMPTZ`, f.from.toISOString());
  if (f.to) add((n) => `created_at <= $${n}::TIMESTAMPTZ`, f.to.toISOString());
  if (f.viewer && !f.viewer.admin) add((n) => `(NOT private OR owner = $${n})`, f.viewer.user ?? '');
  const where = parts.length ? parts.join(' AND ') : 'TRUE';
  const total = await sql.all<{ n: bigint }>(`SELECT count(*) AS n FROM runs WHERE ${where}`, params);
  const items = await sql.all<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${limit} OFFSET ${(page - 1) * limit}`,
    params,
  );
  return { items, total: Number(total[0]?.n ?? 0) };
}

/** Item counts by status of each listed run. */
export async function itemCounts(sql: Sql, ids: string[]): Promise<Map<string, Partial<Record<ItemStatus, number>>>> {
  const out = new Map<string, Partial<Record<ItemStatus, number>>>();
  if (!ids.length) return out;
  const rows = await sql.all<{ run_id: string; status: ItemStatus; n: bigint }>(
    `SELECT run_id::VARCHAR AS run_id, status, count(*) AS n FROM run_items WHERE list_contains($1, run_id::VARCHAR) GROUP BY ALL`,
    [ids],
  );
  for (const r of rows) {
    const m = out.get(r.run_id) ?? {};
    m[r.status] = Number(r.n);
    out.set(r.run_id, m);
  }
  return out;
}

/** A run's items by status (one aggregate, however many items the run has). */
export async function statusCounts(sql: Sql, runId: string): Promise<Partial<Record<ItemStatus, number>>> {
  const rows = await sql.all<{ status: ItemStatus; n: bigint }>(
    'SELECT status, count(*) AS n FROM run_items WHERE run_id = $1::UUID GROUP BY status',
    [runId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** How many of a run's items are in each state, per pipeline step (one aggregate over the JSON). */
export async function stepCounts(sql: Sql, runId: string): Promise<Map<string, Partial<Record<ItemStatus, number>>>> {
  const rows = await sql.all<{ stage: string; status: ItemStatus; n: bigint }>(
    `SELECT stage, json_extract_string(steps, '$.' || stage || '.status') AS status, count(*) AS n
     FROM (SELECT steps, unnest(json_keys(steps)) AS stage FROM run_items WHERE run_id = $1::UUID)
     GROUP BY ALL`,
    [runId],
  );
  const out = new Map<string, Partial<Record<ItemStatus, number>>>();
  for (const r of rows) {
    const m = out.get(r.stage) ?? {};
    m[r.status] = Number(r.n);
    out.set(r.stage, m);
  }
  return out;
}

/** The next items of a run in one state, in order, after index `after`. */
export function itemsIn(sql: Sql, runId: string, status: ItemStatus, after: number, limit: number): Promise<ItemRow[]> {
  return sql.all<ItemRow>(
    `SELECT ${ITEM_COLUMNS} FROM run_items WHERE run_id = $1::UUID AND status = $2 AND idx > $3 ORDER BY idx LIMIT ${limit}`,
    [runId, status, after],
  );
}

export function runItems(sql: Sql, runId: string, from = 0, limit = 1_000_000): Promise<ItemRow[]> {
  return sql.all<ItemRow>(
    `SELECT ${ITEM_COLUMNS} FROM run_items WHERE run_id = $1::UUID AND idx >= $2 ORDER BY idx LIMIT ${limit}`,
    [runId, from],
  );
}

/** The next queued run: highest priority, then oldest. */
export async function nextQueued(sql: Sql, skip: string[]): Promise<RunRow | null> {
  const rows = await sql.all<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs WHERE status = 'queued' AND NOT list_contains($1, id::VARCHAR) ORDER BY priority DESC, created_at, id LIMIT 1`,
    [skip],
  );
  return rows[0] ?? null;
}

export async function setRun(
  sql: Sql,
  id: string,
  v: { status: RunStatus; started_at?: Date | null; finished_at?: Date | null; error?: string | null },
): Promise<void> {
  const sets = ['status = $2'];
  const params: SqlParam[] = [id, v.status];
  for (const k of ['started_at', 'finished_at'] as const)
    if (k in v) {
      params.push(iso(v[k] ?? null));
      sets.push(`${k} = $${params.length}::TIMESTAMPTZ`);
    }
  if ('error' in v) {
    params.push(v.error ?? null);
    sets.push(`error = $${params.length}`);
  }
  await sql.run(`UPDATE runs SET ${sets.join(', ')} WHERE id = $1::UUID`, params);
}

export async function setItem(
  sql: Sql,
  runId: string,
  idx: number,
  v: Partial<Pick<ItemRow, 'status' | 'attempts' | 'session_id' | 'error' | 'started_at' | 'finished_at'>> & {
    steps?: Steps;
    output?: unknown;
  },
): Promise<void> {
  const sets: string[] = [];
  const params: SqlParam[] = [runId, idx];
  const put = (col: string, val: SqlParam, cast = '') => {
    params.push(val);
    sets.push(`${col} = $${params.length}${cast}`);
  };
  if (v.status !== undefined) put('status', v.status);
  if (v.attempts !== undefined) put('attempts', v.attempts);
  if (v.session_id !== undefined) put('session_id', v.session_id, '::UUID');
  if (v.error !== undefined) put('error', v.error);
  if (v.started_at !== undefined) put('started_at', iso(v.started_at), '::TIMESTAMPTZ');
  if (v.finished_at !== undefined) put('finished_at', iso(v.finished_at), '::TIMESTAMPTZ');
  if (v.steps !== undefined) put('steps', JSON.stringify(v.steps), '::JSON');
  if (v.output !== undefined) put('output', v.output === null ? null : JSON.stringify(v.output), '::JSON');
  if (!sets.length) return;
  await sql.run(`UPDATE run_items SET ${sets.join(', ')} WHERE run_id = $1::UUID AND idx = $2`, params);
}

/** Items of a run in one of `from` states set to `to` (a retry of failed items; skipped items on cancel). */
export async function moveItems(sql: Sql, runId: string, from: ItemStatus[], to: ItemStatus): Promise<number> {
  const rows = await sql.all<{ n: bigint }>(
    `UPDATE run_items SET status = $3, error = CASE WHEN $3 = 'pending' THEN NULL ELSE error END WHERE run_id = $1::UUID AND list_contains($2, status) RETURNING 1 AS n`,
    [runId, from, to],
  );
  return rows.length;
}

/** Which of these run ids exist. */
export async function runsExisting(db: Sql, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const r = await db.all<{ id: string }>('SELECT id::VARCHAR AS id FROM runs WHERE list_contains($1, id::VARCHAR)', [
    ids,
  ]);
  return new Set(r.map((x) => x.id));
}

/** Runs a stop cut short (running at a crash, or interrupted at a clean stop). */
export function unfinishedRuns(sql: Sql): Promise<RunRow[]> {
  return sql.all<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs WHERE status IN ('running', 'interrupted') ORDER BY created_at`,
  );
}

/**
 * The results that items' cut-short attempts wrote (their sessions), removed so each runs again from
 * nothing: a resumed run does no item twice.
 */
export async function dropSessions(tx: Sql, sessionIds: string[]): Promise<void> {
  for (let i = 0; i < sessionIds.length; i += 1000) {
    const ids = sessionIds.slice(i, i + 1000);
    await forgetResults(tx, 'list_contains($1, session_id::VARCHAR)', [ids]);
    for (const t of ['detections', 'analysis_results', 'events'])
      await tx.run(`DELETE FROM ${t} WHERE list_contains($1, session_id::VARCHAR)`, [ids]);
  }
}

/** Everything of a run: its results (stream `run:<id>`), log, items and row. */
/** Delete a run and all it made; false when it was already gone (a delete that lost a race). */
export async function deleteRun(tx: Sql, id: string): Promise<boolean> {
  const gone = await tx.all<{ id: string }>('DELETE FROM runs WHERE id = $1::UUID RETURNING id::VARCHAR AS id', [id]);
  if (!gone.length) return false;
  await forgetResults(tx, "stream = 'run:' || $1", [id]);
  for (const t of ['detections', 'analysis_results', 'events'])
    await tx.run(`DELETE FROM ${t} WHERE stream = 'run:' || $1`, [id]);
  await tx.run('DELETE FROM run_log WHERE run_id = $1::UUID', [id]);
  await tx.run('DELETE FROM run_items WHERE run_id = $1::UUID', [id]);
  return true;
}

export async function appendLog(
  db: Db,
  runId: string,
  lines: Array<{ at: Date; level: string; message: string }>,
  keep: number,
): Promise<void> {
  if (!lines.length) return;
  await db.transaction(async (tx) => {
    const top = await tx.all<{ s: bigint | null }>('SELECT max(seq) AS s FROM run_log WHERE run_id = $1::UUID', [
      runId,
    ]);
    let seq = Number(top[0]?.s ?? 0);
    const params: SqlParam[] = [runId];
    const rows = lines.map((l) => {
      params.push(++seq, l.at.toISOString(), l.level, l.message);
      const n = params.length;
      return `($1, $${n - 3}, $${n - 2}::TIMESTAMPTZ, $${n - 1}, $${n})`;
    });
    await tx.run(`INSERT INTO run_log VALUES ${rows.join(', ')}`, params);
    await tx.run('DELETE FROM run_log WHERE run_id = $1::UUID AND seq <= $2', [runId, seq - keep]);
  });
}

export function readLog(
  sql: Sql,
  runId: string,
  after: number,
  limit: number,
): Promise<Array<{ seq: bigint; at: Date; level: string; message: string }>> {
  return sql.all(
    `SELECT seq, logged_at AS at, level, message FROM run_log WHERE run_id = $1::UUID AND seq > $2 ORDER BY seq LIMIT ${limit}`,
    [runId, after],
  );
}
