/**
 * @module The fleet's exported tables, mirrored from the bucket into a local directory: every
 * `<prefix>/_tables/<table>/device=…/date=…/*.parquet` the boxes uploaded, fetched once and again
 * only when its ETag changes (a box re-exports a range it had exported before a crash), and removed
 * here when it is gone there. What was fetched is recorded in `manifest.json` after each file, so an
 * interrupted sync resumes where it stopped. DuckDB's httpfs would read the bucket directly, but
 * its extension cannot be installed on a box without the internet; this needs only the S3 adapter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { S3Bucket } from '../objects/s3';

export interface CacheSync {
  fetched: number;
  kept: number;
  removed: number;
  bytes: number;
}

type Manifest = Record<string, string>;

/** `<prefix>/_tables/`: where every box exports, whatever its device. */
export const tablesPrefix = (prefix: string) =>
  [prefix.replace(/^\/+|\/+$/g, ''), '_tables', ''].filter(Boolean).join('/');

/** The local path of a bucket key below the tables prefix; null for a key that would leave the cache. */
function localPath(dir: string, rel: string): string | null {
  if (!/\.parquet$/.test(rel)) return null;
  const p = join(dir, rel);
  return relative(dir, p).split(sep)[0] === '..' ? null : p;
}

export async function syncTables(
  bucket: Pick<S3Bucket, 'list' | 'get'>,
  prefix: string,
  dir: string,
): Promise<CacheSync> {
  await mkdir(dir, { recursive: true });
  const manifestPath = join(dir, 'manifest.json');
  const manifest: Manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : {};
  const save = async () => {
    await writeFile(`${manifestPath}.part`, JSON.stringify(manifest));
    await rename(`${manifestPath}.part`, manifestPath);
  };
  const root = tablesPrefix(prefix);
  const listed = await bucket.list(root);
  const out: CacheSync = { fetched: 0, kept: 0, removed: 0, bytes: 0 };
  const seen = new Set<string>();
  for (const o of listed) {
    const rel = o.key.slice(root.length);
    const path = localPath(dir, rel);
    if (!path) continue;
    seen.add(rel);
    if (manifest[rel] === o.etag && existsSync(path)) {
      out.kept++;
      continue;
    }
    const data = await bucket.get(o.key);
    if (!data) continue; // deleted between the listing and now
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.part`, data);
    await rename(`${path}.part`, path);
    manifest[rel] = o.etag;
    await save();
    out.fetched++;
    out.bytes += data.byteLength;
  }
  for (const rel of Object.keys(manifest))
    if (!seen.has(rel)) {
      const path = localPath(dir, rel);
      if (path) await rm(path, { force: true });
      delete manifest[rel];
      out.removed++;
    }
  await save();
  return out;
}
