/**
 * @module The fleet-wide data: every interval, the rows added since the last export (events by
 * commit seq; detections, images, the daily analytics rows and the shadow pipelines' results by time, a minute behind so late
 * writes are not skipped) are
 * written by DuckDB as Parquet partitioned by device and date, and uploaded to
 * `<prefix>/_tables/<table>/device=<device>/date=<yyyy-mm-dd>/<from>-<to>_<n>.parquet`. The file
 * names come from the exported range, so an export repeated after a crash overwrites its own files
 * and never adds a duplicate; the watermark moves only after every file is in the bucket.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import type { Db } from '../store/duckdb';
import type { S3Bucket } from '../objects/s3';
import type { Logger } from '../shared/log';
import { Periodic } from '../shared/timers';

interface TableExport {
  name: string;
  watermark: string;
  select: string;
}

/** The exported tables: each a query over (lo, hi] of its watermark column, with device and date. */
const tables = (device: string): TableExport[] => {
  const dev = `'${device.replace(/'/g, "''")}' AS device`;
  return [
    {
      name: 'events',
      watermark: 'seq',
      select: `SELECT * EXCLUDE (payload), CAST(payload AS VARCHAR) AS payload, ${dev}, CAST(timezone('UTC', timestamp) AS DATE) AS date FROM events`,
    },
    {
      name: 'detections',
      watermark: 'epoch_ms(timestamp)',
      select: `SELECT *, ${dev}, CAST(timezone('UTC', timestamp) AS DATE) AS date FROM detections`,
    },
    {
      name: 'images',
      watermark: 'epoch_ms(created_at)',
      // object_key: where the image is in the bucket (a fleet-wide search presigns it).
      select: `SELECT * EXCLUDE (vec_key), (SELECT remote_key FROM sync_objects s WHERE s.local_key = images.storage_key) AS object_key, ${dev}, CAST(timezone('UTC', created_at) AS DATE) AS date FROM images`,
    },
    // The daily analytics rows, by when they were (re)computed: a day recomputed later is exported
    // again, so a reader keeps the newest updated_at per device, day, stream, zone and label.
    {
      name: 'analytics_daily',
      watermark: 'epoch_ms(updated_at)',
      select: `SELECT *, ${dev}, day AS date FROM analytics_daily`,
    },
    // What shadow pipelines found: fleet-wide, a candidate's effect can be compared per revision.
    {
      name: 'shadow_events',
      watermark: 'epoch_ms(timestamp)',
      select: `SELECT *, ${dev}, CAST(timezone('UTC', timestamp) AS DATE) AS date FROM shadow_events`,
    },
    {
      name: 'shadow_detections',
      watermark: 'epoch_ms(timestamp)',
      select: `SELECT *, ${dev}, CAST(timezone('UTC', timestamp) AS DATE) AS date FROM shadow_detections`,
    },
    // Review items, by when they last changed: an item that grew or ended is exported again, so a
    // reader keeps the newest updated_at per device and id. The per-user reviewed marks stay on the box.
    {
      name: 'reviews',
      watermark: 'epoch_ms(updated_at)',
      // clip_object_key: where the item's clip is in the bucket (alerts by default; see record.upload).
      select: `SELECT id, stream, start_ts, end_ts, severity, labels, zones, tracks, events, thumb, keep, updated_at, (SELECT remote_key FROM sync_objects s WHERE s.local_key = review_items.clip_key) AS clip_object_key, ${dev}, CAST(timezone('UTC', start_ts) AS DATE) AS date FROM review_items`,
    },
  ];
};

export interface ExportDeps {
  db: Db;
  bucket: S3Bucket;
  prefix: string;
  device: string;
  log: Logger;
  now?: () => number;
  /** Rows younger than this (by their time column) are left for the next export: a write may still be landing. */
  settleMs?: number;
}

export async function exportTables(d: ExportDeps): Promise<Array<{ table: string; rows: number; files: string[] }>> {
  const out = [];
  const now = (d.now ?? Date.now)();
  for (const t of tables(d.device)) {
    const saved = await d.db.all<{ w: number }>('SELECT watermark AS w FROM sync_exports WHERE name = $1', [t.name]);
    const lo = saved[0]?.w ?? -1;
    const hiRow = await d.db.all<{ h: number | bigint | null }>(
      t.name === 'events' ? 'SELECT max(seq) AS h FROM events' : `SELECT $1::DOUBLE AS h`,
      t.name === 'events' ? [] : [now - (d.settleMs ?? 60_000)],
    );
    const hi = Number(hiRow[0]?.h ?? lo);
    if (!(hi > lo)) {
      out.push({ table: t.name, rows: 0, files: [] });
      continue;
    }
    const where = `${t.watermark} > ${lo} AND ${t.watermark} <= ${hi}`;
    const n = Number((await d.db.all<{ n: bigint }>(`SELECT count(*) AS n FROM (${t.select}) WHERE ${where}`))[0]!.n);
    const files: string[] = [];
    if (n > 0) {
      const dir = await mkdtemp(join(tmpdir(), 'fovea-export-'));
      try {
        const range = `${Math.round(lo)}-${Math.round(hi)}`;
        await d.db.run(
          `COPY (SELECT * FROM (${t.select}) WHERE ${where}) TO '${dir}' (FORMAT parquet, PARTITION_BY (device, date), FILENAME_PATTERN '${range}_{i}', OVERWRITE_OR_IGNORE)`,
        );
        for (const f of await walk(dir)) {
          const key = [d.prefix.replace(/^\/+|\/+$/g, ''), '_tables', t.name, relative(dir, f)]
            .filter(Boolean)
            .join('/');
          await d.bucket.putFile(key, f, (await stat(f)).size, {
            sha256Hex: await sha256File(f),
            contentType: 'application/vnd.apache.parquet',
            metadata: { device: d.device, table: t.name },
          });
          files.push(key);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    await d.db.run(
      'INSERT INTO sync_exports VALUES ($1, $2, now()) ON CONFLICT (name) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at',
      [t.name, hi],
    );
    if (n > 0) d.log.info('exported to the bucket as Parquet', { table: t.name, rows: n, files: files.length });
    out.push({ table: t.name, rows: n, files });
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out.sort();
}

async function sha256File(path: string): Promise<string> {
  const h = new Bun.CryptoHasher('sha256');
  h.update(new Uint8Array(await Bun.file(path).arrayBuffer()));
  return h.digest('hex');
}

/** exportTables every interval, one run at a time; the outcome of the last run for /api/sync. */
export class Exporter {
  last: { at: string; rows: Record<string, number>; error: string | null } | null = null;
  private readonly periodic: Periodic;

  constructor(
    private readonly d: ExportDeps,
    intervalS: number,
  ) {
    this.periodic = new Periodic(() => this.once(), intervalS);
  }

  start(): this {
    this.periodic.start();
    return this;
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  private async once(): Promise<void> {
    try {
      const r = await exportTables(this.d);
      this.last = {
        at: new Date().toISOString(),
        rows: Object.fromEntries(r.map((t) => [t.table, t.rows])),
        error: null,
      };
    } catch (e) {
      this.last = { at: new Date().toISOString(), rows: {}, error: (e as Error).message };
      this.d.log.warn('Parquet export failed; the next one starts where this one did', { error: e });
    }
  }
}
