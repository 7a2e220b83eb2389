/**
 * @module Queries on the images table. Knows SQL, not DuckDB's client: it talks to the Sql port.
 */
import type { Sql, SqlParam } from './duckdb';

export interface ImageRow {
  id: string;
  vec_key: bigint;
  storage_key: string;
  thumb_key: string;
  file_name: string | null;
  size_bytes: number;
  mime: string;
  width: number;
  height: number;
  name: string | null;
  description: string | null;
  tags: string[];
  taken_at: Date | null;
  camera_model: string | null;
  model_id: string;
  created_at: Date;
  updated_at: Date;
}

export type NewImage = Omit<ImageRow, 'vec_key'> & { embedding: Float32Array };

export interface Filters {
  tags?: string[];
  from?: Date;
  to?: Date;
}

const COLUMNS = `CAST(id AS VARCHAR) AS id, vec_key, storage_key, thumb_key, file_name, CAST(size_bytes AS DOUBLE) AS size_bytes, mime,
  width, height, name, description, tags, taken_at, camera_model, model_id, created_at, updated_at`;

/** WHERE clause and parameters for the filters, numbered from `start`; dates apply to `dateColumn`. */
export function whereOf(f: Filters, start: number, dateColumn = 'created_at'): { sql: string; params: SqlParam[] } {
  const parts: string[] = [];
  const params: SqlParam[] = [];
  let n = start;
  if (f.tags && f.tags.length > 0) {
    parts.push(`list_has_all(tags, $${n++})`);
    params.push(f.tags);
  }
  if (f.from) {
    parts.push(`${dateColumn} >= $${n++}::TIMESTAMPTZ`);
    params.push(f.from.toISOString());
  }
  if (f.to) {
    parts.push(`${dateColumn} <= $${n++}::TIMESTAMPTZ`);
    params.push(f.to.toISOString());
  }
  return { sql: parts.length ? parts.join(' AND ') : 'TRUE', params };
}

export async function insertImages(tx: Sql, rows: NewImage[]): Promise<Map<string, bigint>> {
  const keys = new Map<string, bigint>();
  for (const r of rows) {
    const out = await tx.all<{ vec_key: bigint }>(
      `INSERT INTO images (id, storage_key, thumb_key, file_name, size_bytes, mime, width, height, name, description, tags,
         taken_at, camera_model, embedding, model_id, created_at, updated_at)
       VALUES ($1::UUID, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::TIMESTAMPTZ, $13, $14, $15, $16::TIMESTAMPTZ, $17::TIMESTAMPTZ)
       RETURNING vec_key`,
      [
        r.id,
        r.storage_key,
        r.thumb_key,
        r.file_name,
        r.size_bytes,
        r.mime,
        r.width,
        r.height,
        r.name,
        r.description,
        r.tags,
        r.taken_at?.toISOString() ?? null,
        r.camera_model,
        r.embedding,
        r.model_id,
        r.created_at.toISOString(),
        r.updated_at.toISOString(),
      ],
    );
    keys.set(r.id, out[0]!.vec_key);
  }
  return keys;
}

export async function getImage(sql: Sql, id: string): Promise<ImageRow | null> {
  const rows = await sql.all<ImageRow>(`SELECT ${COLUMNS} FROM images WHERE id = TRY_CAST($1 AS UUID)`, [id]);
  return rows[0] ?? null;
}

export async function getEmbedding(sql: Sql, id: string): Promise<{ embedding: number[]; model_id: string } | null> {
  const rows = await sql.all<{ embedding: number[]; model_id: string }>(
    'SELECT embedding, model_id FROM images WHERE id = TRY_CAST($1 AS UUID)',
    [id],
  );
  return rows[0] ?? null;
}

export async function imagesByKeys(sql: Sql, keys: bigint[], f: Filters): Promise<ImageRow[]> {
  if (keys.length === 0) return [];
  const w = whereOf(f, 2);
  return sql.all<ImageRow>(
    `SELECT ${COLUMNS} FROM images WHERE vec_key IN (SELECT unnest($1::BIGINT[])) AND ${w.sql}`,
    [keys.map(String), ...w.params],
  );
}

export async function listImages(
  sql: Sql,
  f: Filters,
  page: number,
  limit: number,
): Promise<{ items: ImageRow[]; total: number }> {
  const w = whereOf(f, 1);
  const total = await sql.all<{ n: bigint }>(`SELECT count(*) AS n FROM images WHERE ${w.sql}`, w.params);
  const items = await sql.all<ImageRow>(
    `SELECT ${COLUMNS} FROM images WHERE ${w.sql} ORDER BY created_at DESC, id LIMIT ${limit} OFFSET ${(page - 1) * limit}`,
    w.params,
  );
  return { items, total: Number(total[0]!.n) };
}

/** Exact cosine search in DuckDB: the reference the HNSW index is measured against. */
export async function exactSearch(
  sql: Sql,
  q: Float32Array,
  modelId: string,
  f: Filters,
  limit: number,
): Promise<Array<ImageRow & { score: number }>> {
  const d = q.length;
  const w = whereOf(f, 3);
  return sql.all(
    `SELECT ${COLUMNS}, array_cosine_similarity(embedding::FLOAT[${d}], $1::FLOAT[${d}]) AS score
     FROM images WHERE model_id = $2 AND ${w.sql} ORDER BY score DESC, id LIMIT ${limit}`,
    [q, modelId, ...w.params],
  );
}

export async function deleteImage(tx: Sql, id: string): Promise<void> {
  await tx.run('DELETE FROM images WHERE id = TRY_CAST($1 AS UUID)', [id]);
}

/** How many rows still point at an object (content-addressed objects may be shared). */
export async function refCount(sql: Sql, key: string): Promise<number> {
  const rows = await sql.all<{ n: bigint }>(
    'SELECT count(*) AS n FROM images WHERE storage_key = $1 OR thumb_key = $1',
    [key],
  );
  return Number(rows[0]!.n);
}

export async function fingerprint(sql: Sql, modelId: string): Promise<{ count: number; keySum: string }> {
  const rows = await sql.all<{ n: bigint; s: bigint | null }>(
    'SELECT count(*) AS n, CAST(sum(vec_key) AS BIGINT) AS s FROM images WHERE model_id = $1',
    [modelId],
  );
  return { count: Number(rows[0]!.n), keySum: String(rows[0]!.s ?? 0n) };
}

/** Stream every embedding of a model in pages (for index rebuilds). */
export async function* embeddings(
  sql: Sql,
  modelId: string,
  pageSize = 5000,
): AsyncGenerator<Array<{ vec_key: bigint; embedding: number[] }>> {
  let after = -1n;
  for (;;) {
    const rows = await sql.all<{ vec_key: bigint; embedding: number[] }>(
      `SELECT vec_key, embedding FROM images WHERE model_id = $1 AND vec_key > $2 ORDER BY vec_key LIMIT ${pageSize}`,
      [modelId, after],
    );
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.vec_key;
  }
}

export async function countImages(sql: Sql): Promise<number> {
  const r = await sql.all<{ n: bigint }>('SELECT count(*) AS n FROM images');
  return Number(r[0]!.n);
}

/** Which of these ids are registered images, with their stored file's key. */
export async function existingIds(sql: Sql, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await sql.all<{ id: string; storage_key: string }>(
      'SELECT id::VARCHAR AS id, storage_key FROM images WHERE list_contains($1, id::VARCHAR)',
      [ids.slice(i, i + 1000)],
    );
    for (const r of rows) out.set(r.id, r.storage_key);
  }
  return out;
}
