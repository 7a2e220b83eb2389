/**
 * @module `fovea fleet search|query`: the whole fleet's exported data from any machine with the
 * bucket's credentials (the config's `sync` section), no central server. The Parquet tables every
 * box exports are mirrored into a local cache (only what changed is fetched), then read by DuckDB:
 * SQL over events, detections, images and the daily analytics of every box, or the images nearest
 * a photo embedded here with the same model the boxes use.
 */
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema';
import { modelMirror, pathsOf } from '../config/paths';
import { S3Bucket } from '../objects/s3';
import { builtinCatalog, findModel, refOf } from '../models/catalog';
import { pullModel } from '../models/pull';
import { syncTables } from '../lake/cache';
import { nearest, openTables, query, type FleetTables } from '../lake/tables';
import { configFile } from '../compose/library';
import { openEmbedder } from '../compose/gpu';
import { AppError } from '../shared/errors';
import type { Logger } from '../shared/log';
import { print } from './context';

/** The fleet's data lives in the bucket: a config that names none is refused before anything else. */
function needBucket(config: Config): void {
  if (!config.sync.bucket)
    throw new AppError(
      'config_invalid',
      'the config names no bucket: set sync.endpoint, sync.bucket and its credentials',
    );
}

/**
 * Run `work` with the config's bucket and the fleet's tables, the cache brought up to date with the
 * bucket first (unless --offline); both are closed after.
 */
async function withFleet<T>(
  config: Config,
  values: Record<string, unknown>,
  log: Logger,
  work: (t: FleetTables, bucket: S3Bucket) => Promise<T>,
): Promise<T> {
  const c = config.sync;
  needBucket(config);
  const bucket = new S3Bucket({ ...c, ca: c.ca_file ? await configFile('/sync/ca_file', c.ca_file) : null });
  let t: FleetTables | null = null;
  try {
    const dir = resolve((values.cache as string | undefined) ?? join(pathsOf(config).state, 'fleet-tables'));
    if (!values.offline) log.info('fleet tables cached', { dir, ...(await syncTables(bucket, c.prefix, dir)) });
    t = await openTables(dir);
    return await work(t, bucket);
  } finally {
    t?.close();
    bucket.close();
  }
}

const json = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'bigint' ? (Number.isSafeInteger(Number(x)) ? Number(x) : String(x)) : x,
  );

const cell = (v: unknown) =>
  v === null || v === undefined ? '' : typeof v === 'object' ? json(v) : String(v).replace(/[\t\n]/g, ' ');

export async function fleetQuery(
  config: Config,
  values: Record<string, unknown>,
  sql: string | undefined,
  log: Logger,
) {
  if (!sql?.trim()) throw new AppError('bad_request', 'give the SQL to run: fovea fleet query "SELECT …"');
  const rows = await withFleet(config, values, log, (t) => query(t, sql));
  if (values.json) print(json(rows));
  else {
    const cols = Object.keys(rows[0] ?? {});
    if (cols.length) print(cols.join('\t'));
    for (const r of rows) print(cols.map((c) => cell(r[c])).join('\t'));
  }
  return 0;
}

export async function fleetSearch(config: Config, values: Record<string, unknown>, log: Logger) {
  const image = values.image as string | undefined;
  if (!image) throw new AppError('bad_request', 'name the photo to search with: --image FILE');
  const limit = Number(values.limit ?? 10);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new AppError('bad_request', '--limit must be a whole number from 1 to 1000');
  const since = values.since === undefined ? null : new Date(values.since as string);
  if (since && Number.isNaN(since.getTime()))
    throw new AppError('bad_request', `--since '${values.since}' is not a date (2026-11-30 or an ISO 8601 time)`);
  const file = Bun.file(image);
  if (!(await file.exists())) throw new AppError('bad_request', `${image} does not exist`);
  const data = new Uint8Array(await file.arrayBuffer());
  // Checked before the model is pulled: a config without a bucket downloads nothing.
  needBucket(config);
  const vector = await embedHere(config, data, log);
  const found = await withFleet(config, values, log, async (t, bucket) => {
    const model = refOf(findModel(builtinCatalog(), config.models.embed));
    const candidates = await nearest(t, vector, {
      model,
      since,
      device: (values.device as string | undefined) ?? null,
      take: limit * 3,
    });
    // An image deleted on its box had its object deleted from the bucket; one not uploaded yet has none.
    const out = [];
    for (const c of candidates) {
      if (out.length === limit) break;
      if (!c.object_key || !(await bucket.head(c.object_key))) continue;
      out.push({
        ...c,
        score: Math.round(c.score * 10_000) / 10_000,
        url: await bucket.presign(c.object_key, config.sync.presign_expiry_s),
      });
    }
    return out;
  });
  if (values.json) print(json(found));
  else for (const f of found) print([f.score.toFixed(4), f.device, f.id, f.name ?? '', f.url].join('\t'));
  return 0;
}

/** The photo's embedding with the config's model (pulled when missing), as the boxes compute it. */
async function embedHere(config: Config, data: Uint8Array, log: Logger): Promise<Float32Array> {
  const catalog = builtinCatalog();
  const model = findModel(catalog, config.models.embed);
  const paths = pathsOf(config);
  await pullModel(model, catalog, { dir: paths.models, mirror: modelMirror(config) });
  const { session, embedder } = await openEmbedder(config, paths, model, log);
  try {
    return await embedder.embed(data);
  } finally {
    await session.close();
  }
}
