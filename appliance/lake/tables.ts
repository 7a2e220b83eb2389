/**
 * @module The fleet's tables as DuckDB views over the cached Parquet (hive partitions give every row
 * its `device` and `date`): `events`, `detections`, `images`, `analytics_daily`, `shadow_events`,
 * `shadow_detections` and `reviews` (the newest version of each item), each only when
 * some box exported it. A daily row recomputed later was exported again, so `analytics_daily`
 * keeps the newest per device, day, stream, zone and label; an image is kept once per device.
 * Every row keeps the revision (events, detections) or the model (images) it was made with.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Db } from '../store/duckdb';
import { AppError } from '../shared/errors';

export const TABLES = [
  'events',
  'detections',
  'images',
  'analytics_daily',
  'shadow_events',
  'shadow_detections',
  'reviews',
] as const;
export type Table = (typeof TABLES)[number];

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

function source(dir: string, table: Table): string {
  return `read_parquet(${quote(join(dir, table, '**', '*.parquet'))}, hive_partitioning = true, union_by_name = true)`;
}

const VIEWS: Record<Table, (from: string) => string> = {
  events: (from) => `SELECT * FROM ${from}`,
  detections: (from) => `SELECT * FROM ${from}`,
  images: (from) =>
    `SELECT * FROM ${from} QUALIFY row_number() OVER (PARTITION BY device, id ORDER BY updated_at DESC) = 1`,
  shadow_events: (from) => `SELECT * FROM ${from}`,
  shadow_detections: (from) => `SELECT * FROM ${from}`,
  reviews: (from) =>
    `SELECT * FROM ${from} QUALIFY row_number() OVER (PARTITION BY device, id ORDER BY updated_at DESC) = 1`,
  analytics_daily: (from) =>
    `SELECT * FROM ${from} QUALIFY row_number() OVER (PARTITION BY device, day, stream, zone, label ORDER BY updated_at DESC) = 1`,
};

/** Whether a table has any Parquet file in the cache (a view over none would fail to bind). */
function present(dir: string, table: Table): boolean {
  const walk = (d: string): boolean =>
    existsSync(d) &&
    readdirSync(d, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.parquet'),
    );
  return walk(join(dir, table));
}

export interface FleetTables {
  db: Db;
  tables: Table[];
  close(): void;
}

/** An in-memory DuckDB with a view per table the cache holds. */
export async function openTables(dir: string): Promise<FleetTables> {
  const db = await Db.open(':memory:');
  const tables = TABLES.filter((t) => present(dir, t));
  for (const t of tables) await db.run(`CREATE VIEW ${t} AS ${VIEWS[t](source(dir, t))}`);
  return { db, tables, close: () => db.close() };
}

/** Run a reader's SQL; an error names the tables there are, since a missing one is the usual cause. */
export async function query(t: FleetTables, sql: string): Promise<Array<Record<string, unknown>>> {
  try {
    return await t.db.all<Record<string, unknown>>(sql);
  } catch (e) {
    throw new AppError(
      'bad_request',
      `${(e as Error).message.split('\n')[0]} (tables: ${t.tables.join(', ') || 'none yet: no box has exported'})`,
    );
  }
}

export interface FleetMatch {
  device: string;
  id: string;
  name: string | null;
  object_key: string | null;
  model_id: string;
  created_at: string;
  score: number;
}

/**
 * The images nearest a query vector across the fleet (exact cosine over every exported embedding
 * of the same model), best first, with how many to look at: more than asked, since a caller drops
 * those whose object is not (or no longer) in the bucket.
 */
export async function nearest(
  t: FleetTables,
  vector: Float32Array,
  o: { model: string; since: Date | null; device: string | null; take: number },
): Promise<FleetMatch[]> {
  if (!t.tables.includes('images')) return [];
  const rows = await t.db.all<FleetMatch & { created_at: unknown }>(
    `SELECT device, CAST(id AS VARCHAR) AS id, name, object_key, model_id, CAST(created_at AS VARCHAR) AS created_at,
            list_cosine_similarity(embedding, $1::FLOAT[]) AS score
       FROM images
      WHERE model_id = $2 AND ($3::TIMESTAMPTZ IS NULL OR created_at >= $3::TIMESTAMPTZ) AND ($4::VARCHAR IS NULL OR device = $4)
      ORDER BY score DESC, device, id
      LIMIT $5`,
    [vector, o.model, o.since?.toISOString() ?? null, o.device, o.take],
  );
  return rows.map((r) => ({ ...r, score: Number(r.score) }));
}
