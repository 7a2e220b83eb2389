/** @module The sync outbox table (sync_objects): enqueue in the caller's transaction, claim, mark. */
import type { Sql } from './duckdb';

export interface SyncItem {
  local_key: string;
  remote_key: string;
  sha256: string;
  size: number;
  content_type: string;
  priority: number;
  meta: Record<string, string>;
  created_at: Date;
}

/** A queued object as read back: meta still as its stored JSON text, with its attempts so far. */
export type PendingRow = Omit<SyncItem, 'meta' | 'created_at'> & { meta: string; attempts: number };

/** Queue objects for upload; an object already queued (same content) is left as it is. */
export async function enqueueSync(tx: Sql, items: SyncItem[]): Promise<void> {
  for (const i of items) {
    await tx.run(
      `INSERT INTO sync_objects (local_key, remote_key, sha256, size, content_type, priority, meta, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::TIMESTAMPTZ) ON CONFLICT (local_key) DO NOTHING`,
      [
        i.local_key,
        i.remote_key,
        i.sha256,
        i.size,
        i.content_type,
        i.priority,
        JSON.stringify(i.meta),
        i.created_at.toISOString(),
      ],
    );
  }
}

/** Pending objects due now, most urgent first, leaving out those already in flight. */
export async function duePending(sql: Sql, limit: number, exclude: string[]): Promise<PendingRow[]> {
  const rows = await sql.all<PendingRow & { size: bigint }>(
    `SELECT local_key, remote_key, sha256, size, content_type, priority, meta, attempts FROM sync_objects
     WHERE uploaded_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now()) AND NOT list_contains($1::VARCHAR[], local_key)
     ORDER BY priority, created_at, local_key LIMIT ${limit}`,
    [exclude],
  );
  return rows.map((r) => ({ ...r, size: Number(r.size) }));
}

/** When the next pending object becomes due (null: none pending). */
export async function nextDue(sql: Sql): Promise<Date | null> {
  const r = await sql.all<{ t: Date | null }>(
    'SELECT min(coalesce(next_attempt_at, created_at)) AS t FROM sync_objects WHERE uploaded_at IS NULL',
  );
  return r[0]?.t ? new Date(r[0].t) : null;
}

/** Mark uploads done, each with the time it finished (one statement for many: group commit). */
export async function markUploaded(sql: Sql, done: Array<{ key: string; at: number }>): Promise<void> {
  if (done.length === 0) return;
  await sql.run(
    `UPDATE sync_objects SET uploaded_at = to_timestamp(CAST(d.t AS DOUBLE) / 1000), attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL
     FROM (SELECT unnest($1::VARCHAR[]) AS k, unnest($2::VARCHAR[]) AS t) d WHERE local_key = d.k`,
    [done.map((x) => x.key), done.map((x) => String(x.at))],
  );
}

export async function markFailed(sql: Sql, key: string, error: string, retryAt: Date): Promise<void> {
  await sql.run(
    'UPDATE sync_objects SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3::TIMESTAMPTZ WHERE local_key = $1',
    [key, error, retryAt.toISOString()],
  );
}

export interface SyncCounts {
  pending: number;
  pending_bytes: number;
  oldest_pending: Date | null;
  uploaded: number;
  uploaded_bytes: number;
}

export async function syncCounts(sql: Sql): Promise<SyncCounts> {
  const r = await sql.all<{ p: bigint; pb: bigint | null; o: Date | null; u: bigint; ub: bigint | null }>(
    `SELECT count(*) FILTER (WHERE uploaded_at IS NULL) AS p, sum(size) FILTER (WHERE uploaded_at IS NULL) AS pb,
            min(created_at) FILTER (WHERE uploaded_at IS NULL) AS o,
            count(*) FILTER (WHERE uploaded_at IS NOT NULL) AS u, sum(size) FILTER (WHERE uploaded_at IS NOT NULL) AS ub FROM sync_objects`,
  );
  const x = r[0]!;
  return {
    pending: Number(x.p),
    pending_bytes: Number(x.pb ?? 0),
    oldest_pending: x.o ? new Date(x.o) : null,
    uploaded: Number(x.u),
    uploaded_bytes: Number(x.ub ?? 0),
  };
}

/** The bucket keys of those local keys that are uploaded (pending ones are left out). */
export async function uploadedRemoteKeys(sql: Sql, localKeys: string[]): Promise<Map<string, string>> {
  if (localKeys.length === 0) return new Map();
  const r = await sql.all<{ l: string; k: string }>(
    'SELECT local_key AS l, remote_key AS k FROM sync_objects WHERE list_contains($1::VARCHAR[], local_key) AND uploaded_at IS NOT NULL',
    [localKeys],
  );
  return new Map(r.map((x) => [x.l, x.k]));
}

/** Bytes of objects whose local copy is still on disk. */
export async function localBytes(sql: Sql): Promise<number> {
  const r = await sql.all<{ b: bigint | null }>(
    'SELECT sum(size) AS b FROM sync_objects WHERE local_deleted_at IS NULL',
  );
  return Number(r[0]?.b ?? 0);
}

/** Uploaded objects still on disk, oldest first: what retention may delete locally. */
export async function evictable(sql: Sql, limit: number): Promise<Array<{ local_key: string; size: number }>> {
  const r = await sql.all<{ local_key: string; size: bigint }>(
    `SELECT local_key, size FROM sync_objects WHERE uploaded_at IS NOT NULL AND local_deleted_at IS NULL ORDER BY created_at, local_key LIMIT ${limit}`,
  );
  return r.map((x) => ({ local_key: x.local_key, size: Number(x.size) }));
}

export async function markEvicted(sql: Sql, keys: string[]): Promise<void> {
  if (keys.length)
    await sql.run('UPDATE sync_objects SET local_deleted_at = now() WHERE list_contains($1::VARCHAR[], local_key)', [
      keys,
    ]);
}

/**
 * An object no image uses any more: its upload row goes, and with `remote` its bucket copy is
 * queued for deletion (an upload in flight lands first; the delete waits for it).
 */
export async function dropObject(tx: Sql, localKey: string, remote: boolean): Promise<void> {
  if (remote)
    await tx.run(
      `INSERT INTO sync_deletes SELECT remote_key, local_key, now(), 0, NULL, NULL FROM sync_objects WHERE local_key = $1
       ON CONFLICT DO NOTHING`,
      [localKey],
    );
  await tx.run(`DELETE FROM sync_objects WHERE local_key = $1${remote ? '' : ' AND uploaded_at IS NULL'}`, [localKey]);
}

export interface DeleteRow {
  remote_key: string;
  local_key: string;
  attempts: number;
}

export async function dueDeletes(sql: Sql, limit: number): Promise<DeleteRow[]> {
  return sql.all<DeleteRow>(
    `SELECT remote_key, local_key, attempts FROM sync_deletes WHERE next_attempt_at IS NULL OR next_attempt_at <= now()
     ORDER BY requested_at LIMIT ${limit}`,
  );
}

export async function deleteDone(sql: Sql, remoteKey: string): Promise<void> {
  await sql.run('DELETE FROM sync_deletes WHERE remote_key = $1', [remoteKey]);
}

export async function deleteFailed(sql: Sql, remoteKey: string, error: string, retryAt: Date): Promise<void> {
  await sql.run(
    'UPDATE sync_deletes SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3::TIMESTAMPTZ WHERE remote_key = $1',
    [remoteKey, error, retryAt.toISOString()],
  );
}

/** Deletes waiting for the bucket, and when the next falls due. */
export async function deleteCounts(sql: Sql): Promise<{ pending: number; next: Date | null }> {
  const r = await sql.all<{ n: bigint; t: Date | null }>(
    'SELECT count(*) AS n, min(coalesce(next_attempt_at, requested_at)) AS t FROM sync_deletes',
  );
  return { pending: Number(r[0]!.n), next: r[0]!.t };
}
