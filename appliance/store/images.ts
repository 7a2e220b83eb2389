/**
 * @module Queries on the images table. Knows SQL, not DuckDB's client: it talks to the Sql port.
 */
import type { Db, Sql, SqlParam } from './duckdb';

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
  /** A user's id, or 'box' for what the box made itself. */
  owner: string;
  /** Seen only by its owner and admins. */
  private: boolean;
  /** The EXIF kept (imaging's Exif as JSON), or null. */
  exif: string | null;
  /** The preview-size thumbnail (null for images registered before previews: the original serves). */
  preview_key: string | null;
  /** sha256 of the file as uploaded (before strip_gps), by which an import skips what an owner has. */
  sha256: string | null;
}

/** Who asks: a user's id (or null), and whether they see everything (an admin, or a box without auth). */
export interface Viewer {
  user: string | null;
  admin: boolean;
}

export type NewImage = Omit<ImageRow, 'vec_key'> & { embedding: Float32Array };

export interface Filters {
  tags?: string[];
  from?: Date;
  to?: Date;
  /** Only what this viewer may see (absent: everything, for the box's own work). */
  viewer?: Viewer;
  /** Only this owner's. */
  owner?: string;
  /** Only private (true) or only shared (false) images. */
  private?: boolean;
  /** Only these ids. */
  ids?: string[];
  /** Camera make or model containing this text (any case). */
  camera?: string;
  /** Taken at or after, at or before. */
  takenFrom?: Date;
  takenTo?: Date;
  /** With (true) or without (false) a location. */
  hasGps?: boolean;
  /** Without any of these tags (the library leaves event snapshots out unless asked). */
  withoutTags?: string[];
  /** Not these ids (a search by an image leaves the image itself out). */
  notIds?: string[];
  /** Text read in the photo (ocr@1 in a run) containing this (any case). */
  text?: string;
}

const COLUMNS = `CAST(id AS VARCHAR) AS id, vec_key, storage_key, thumb_key, file_name, CAST(size_bytes AS DOUBLE) AS size_bytes, mime,
  width, height, name, description, tags, taken_at, camera_model, model_id, created_at, updated_at, owner, private, CAST(exif AS VARCHAR) AS exif, preview_key, sha256`;

/** Whether the filters can leave an image out (a search then asks the index for more candidates). */
export const narrows = (f: Filters): boolean =>
  !!(
    f.tags?.length ||
    f.from ||
    f.to ||
    (f.viewer && !f.viewer.admin) ||
    f.owner !== undefined ||
    f.private !== undefined ||
    f.ids ||
    f.camera ||
    f.takenFrom ||
    f.takenTo ||
    f.hasGps !== undefined ||
    f.withoutTags?.length ||
    f.notIds?.length ||
    f.text
  );

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
  if (f.viewer && !f.viewer.admin) {
    parts.push(`(NOT private OR owner = $${n++})`);
    params.push(f.viewer.user ?? '');
  }
  if (f.owner !== undefined) {
    parts.push(`owner = $${n++}`);
    params.push(f.owner);
  }
  if (f.private !== undefined) parts.push(f.private ? 'private' : 'NOT private');
  if (f.ids) {
    parts.push(`list_contains($${n++}, CAST(id AS VARCHAR))`);
    params.push(f.ids);
  }
  if (f.text) {
    parts.push(`id IN (SELECT image_id FROM image_text WHERE text ILIKE $${n++} ESCAPE '\\')`);
    params.push(`%${f.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (f.camera) {
    parts.push(`camera_model ILIKE $${n++} ESCAPE '\\'`);
    params.push(`%${f.camera.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (f.takenFrom) {
    parts.push(`taken_at >= $${n++}::TIMESTAMPTZ`);
    params.push(f.takenFrom.toISOString());
  }
  if (f.takenTo) {
    parts.push(`taken_at <= $${n++}::TIMESTAMPTZ`);
    params.push(f.takenTo.toISOString());
  }
  if (f.hasGps !== undefined)
    parts.push(`(json_extract(exif, '$.gps') IS NOT NULL AND json_type(exif, '$.gps') <> 'NULL') = ${f.hasGps}`);
  if (f.withoutTags?.length) {
    parts.push(`NOT list_has_any(tags, $${n++})`);
    params.push(f.withoutTags);
  }
  if (f.notIds?.length) {
    parts.push(`NOT list_contains($${n++}, CAST(id AS VARCHAR))`);
    params.push(f.notIds);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'TRUE', params };
}

/**
 * The filters as a predicate on a row already in memory: the same rule as whereOf, for rows the
 * image service holds (test/unit/image-filters.test.ts checks the two agree on random rows).
 */
export function matchesFilters(r: ImageRow, f: Filters): boolean {
  if (f.tags?.length && !f.tags.every((t) => r.tags.includes(t))) return false;
  const created = new Date(r.created_at).getTime();
  if (f.from && created < f.from.getTime()) return false;
  if (f.to && created > f.to.getTime()) return false;
  if (f.viewer && !f.viewer.admin && r.private && r.owner !== (f.viewer.user ?? '')) return false;
  if (f.owner !== undefined && r.owner !== f.owner) return false;
  if (f.private !== undefined && r.private !== f.private) return false;
  if (f.ids && !f.ids.includes(r.id)) return false;
  if (f.camera && !r.camera_model?.toLowerCase().includes(f.camera.toLowerCase())) return false;
  const taken = r.taken_at === null ? null : new Date(r.taken_at).getTime();
  if (f.takenFrom && (taken === null || taken < f.takenFrom.getTime())) return false;
  if (f.takenTo && (taken === null || taken > f.takenTo.getTime())) return false;
  if (f.hasGps !== undefined) {
    const gps = r.exif ? (JSON.parse(r.exif) as { gps?: unknown }).gps : undefined;
    if ((gps !== undefined && gps !== null) !== f.hasGps) return false;
  }
  if (f.withoutTags?.some((t) => r.tags.includes(t))) return false;
  if (f.notIds?.includes(r.id)) return false;
  return true;
}

export async function insertImages(tx: Sql, rows: NewImage[]): Promise<Map<string, bigint>> {
  const keys = new Map<string, bigint>();
  for (const r of rows) {
    const out = await tx.all<{ vec_key: bigint }>(
      `INSERT INTO images (id, storage_key, thumb_key, file_name, size_bytes, mime, width, height, name, description, tags,
         taken_at, camera_model, embedding, model_id, created_at, updated_at, owner, private, exif, preview_key, sha256)
       VALUES ($1::UUID, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::TIMESTAMPTZ, $13, $14, $15, $16::TIMESTAMPTZ, $17::TIMESTAMPTZ, $18, $19, $20::JSON, $21, $22)
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
        r.owner,
        r.private,
        r.exif,
        r.preview_key,
        r.sha256,
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
  sort: 'uploaded' | 'taken' = 'uploaded',
): Promise<{ items: ImageRow[]; total: number }> {
  const w = whereOf(f, 1);
  const total = await sql.all<{ n: bigint }>(`SELECT count(*) AS n FROM images WHERE ${w.sql}`, w.params);
  // Newest first; by taken time, photos that do not say when come last.
  const order = sort === 'taken' ? 'taken_at DESC NULLS LAST, created_at DESC, id' : 'created_at DESC, id';
  const items = await sql.all<ImageRow>(
    `SELECT ${COLUMNS} FROM images WHERE ${w.sql} ORDER BY ${order} LIMIT ${limit} OFFSET ${(page - 1) * limit}`,
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

/** What a PATCH changes; tags are replaced, or added to and removed from. */
export interface ImageChange {
  name?: string | null;
  description?: string | null;
  tags?: string[];
  addTags?: string[];
  removeTags?: string[];
  private?: boolean;
}

/** Apply a change to the images the filters select; returns the ids changed. */
export async function changeImages(tx: Sql, f: Filters, c: ImageChange, now: Date): Promise<string[]> {
  const sets: string[] = [];
  const params: SqlParam[] = [];
  const p = (v: SqlParam) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (c.name !== undefined) sets.push(`name = ${p(c.name)}`);
  if (c.description !== undefined) sets.push(`description = ${p(c.description)}`);
  let tags = 'tags';
  if (c.tags !== undefined) tags = `CAST(${p(c.tags)} AS VARCHAR[])`;
  if (c.removeTags?.length) tags = `list_filter(${tags}, x -> NOT list_contains(${p(c.removeTags)}, x))`;
  if (c.addTags?.length) tags = `list_distinct(list_concat(${tags}, CAST(${p(c.addTags)} AS VARCHAR[])))`;
  if (tags !== 'tags') sets.push(`tags = ${tags}`);
  if (c.private !== undefined) sets.push(`private = ${p(c.private)}`);
  sets.push(`updated_at = CAST(${p(now.toISOString())} AS TIMESTAMPTZ)`);
  const w = whereOf(f, params.length + 1);
  const rows = await tx.all<{ id: string }>(
    `UPDATE images SET ${sets.join(', ')} WHERE ${w.sql} RETURNING CAST(id AS VARCHAR) AS id`,
    [...params, ...w.params],
  );
  return rows.map((r) => r.id);
}

/** Bytes of originals each owner has stored. */
export async function usageOf(sql: Sql, owners: string[]): Promise<Map<string, number>> {
  if (!owners.length) return new Map();
  // A run's uploads are held on the box for its owner as photos are: they count the same.
  const rows = await sql.all<{ owner: string; n: number }>(
    `SELECT owner, CAST(sum(n) AS DOUBLE) AS n FROM (
       SELECT owner, size_bytes AS n FROM images WHERE list_contains($1, owner)
       UNION ALL SELECT owner, upload_bytes AS n FROM runs WHERE list_contains($1, owner)
     ) GROUP BY owner`,
    [owners],
  );
  return new Map(rows.map((r) => [r.owner, r.n]));
}

/** Which of `hashes` (sha256 of uploaded files) `owner` already has in the library. */
export async function knownHashes(sql: Sql, owner: string, hashes: string[]): Promise<string[]> {
  if (!hashes.length) return [];
  const rows = await sql.all<{ h: string }>(
    'SELECT DISTINCT sha256 AS h FROM images WHERE owner = $1 AND list_contains($2, sha256)',
    [owner, hashes],
  );
  return rows.map((r) => r.h);
}

export async function deleteImage(tx: Sql, id: string): Promise<void> {
  await tx.run('DELETE FROM image_text WHERE image_id = TRY_CAST($1 AS UUID)', [id]);
  await tx.run('DELETE FROM images WHERE id = TRY_CAST($1 AS UUID)', [id]);
}

/** Keep the text read in a photo (its lines, one a line); a later reading replaces it. */
export async function setImageText(sql: Sql, id: string, text: string): Promise<void> {
  await sql.run(
    `INSERT INTO image_text VALUES (TRY_CAST($1 AS UUID), $2, now())
     ON CONFLICT (image_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at`,
    [id, text],
  );
}

/** The text read in a photo, or null. */
export async function imageText(sql: Sql, id: string): Promise<string | null> {
  const rows = await sql.all<{ text: string }>('SELECT text FROM image_text WHERE image_id = TRY_CAST($1 AS UUID)', [
    id,
  ]);
  return rows[0]?.text ?? null;
}

/** How many rows still point at an object (content-addressed objects may be shared). */
export async function refCount(sql: Sql, key: string): Promise<number> {
  const rows = await sql.all<{ n: bigint }>(
    'SELECT count(*) AS n FROM images WHERE storage_key = $1 OR thumb_key = $1 OR preview_key = $1',
    [key],
  );
  return Number(rows[0]!.n);
}

export async function fingerprint(
  sql: Sql,
  modelId: string,
): Promise<{ count: number; keySum: string; maxKey: bigint }> {
  const rows = await sql.all<{ n: bigint; s: bigint | null; m: bigint | null }>(
    'SELECT count(*) AS n, CAST(sum(vec_key) AS BIGINT) AS s, max(vec_key) AS m FROM images WHERE model_id = $1',
    [modelId],
  );
  return { count: Number(rows[0]!.n), keySum: String(rows[0]!.s ?? 0n), maxKey: rows[0]!.m ?? -1n };
}

/** The vector keys of a model's images (a small library's exact search reads their vectors beside the index). */
export async function vectorKeys(sql: Sql, modelId: string): Promise<bigint[]> {
  const rows = await sql.all<{ k: bigint }>('SELECT vec_key AS k FROM images WHERE model_id = $1 ORDER BY k', [
    modelId,
  ]);
  return rows.map((r) => r.k);
}

/** Every embedding of a model, a chunk at a time as keys and a packed matrix (an index rebuild). */
export function embeddingChunks(
  db: Db,
  modelId: string,
  dims: number,
  fn: (keys: BigUint64Array, matrix: Float32Array) => void,
): Promise<void> {
  return db.vectorChunks(
    `SELECT vec_key, embedding::FLOAT[${dims}] FROM images WHERE model_id = $1 ORDER BY vec_key`,
    [modelId],
    dims,
    fn,
  );
}

/**
 * The embeddings of a model with keys in [from, to), as keys and a packed matrix, in order: a page
 * of a rebuild that runs beside other work (each page is its own query, so others go in between).
 */
export async function embeddingPage(
  db: Db,
  modelId: string,
  dims: number,
  from: bigint,
  to: bigint,
): Promise<{ keys: BigUint64Array; matrix: Float32Array }> {
  const keys: BigUint64Array[] = [];
  const parts: Float32Array[] = [];
  await db.vectorChunks(
    `SELECT vec_key, embedding::FLOAT[${dims}] FROM images
      WHERE model_id = $1 AND vec_key >= $2 AND vec_key < $3 ORDER BY vec_key`,
    [modelId, from, to],
    dims,
    (k, m) => {
      keys.push(k);
      parts.push(m);
    },
  );
  if (parts.length === 1) return { keys: keys[0]!, matrix: parts[0]! };
  const matrix = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    matrix.set(p, at);
    at += p.length;
  }
  return { keys: BigUint64Array.from(keys.flatMap((k) => [...k])), matrix };
}

export async function countImages(sql: Sql): Promise<number> {
  const r = await sql.all<{ n: bigint }>('SELECT count(*) AS n FROM images');
  return Number(r[0]!.n);
}

/** Which of these ids are registered images (that `viewer` may see), with their stored file's key. */
export async function existingIds(sql: Sql, ids: string[], viewer?: Viewer): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const w = whereOf({ viewer }, 2);
    const rows = await sql.all<{ id: string; storage_key: string }>(
      `SELECT id::VARCHAR AS id, storage_key FROM images WHERE list_contains($1, id::VARCHAR) AND ${w.sql}`,
      [ids.slice(i, i + 1000), ...w.params],
    );
    for (const r of rows) out.set(r.id, r.storage_key);
  }
  return out;
}

/** Of these image ids, the private ones. */
export async function privateIds(sql: Sql, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await sql.all<{ id: string }>(
    'SELECT CAST(id AS VARCHAR) AS id FROM images WHERE private AND list_contains($1, CAST(id AS VARCHAR))',
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

/** Of these image ids, those `viewer` may not see (another user's private images). */
export async function hiddenFrom(sql: Sql, ids: string[], viewer: Viewer): Promise<Set<string>> {
  if (viewer.admin || !ids.length) return new Set();
  const seen = whereOf({ viewer }, 2);
  const rows = await sql.all<{ id: string }>(
    `SELECT CAST(id AS VARCHAR) AS id FROM images WHERE list_contains($1, CAST(id AS VARCHAR)) AND NOT (${seen.sql})`,
    [ids, ...seen.params],
  );
  return new Set(rows.map((r) => r.id));
}
