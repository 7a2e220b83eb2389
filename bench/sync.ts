/**
 * @module Upload throughput to the same S3-compatible server (s3rver on loopback), in one run:
 * fovea's sync (DuckDB outbox, priority order, per-object bookkeeping, SHA-256 checksum header)
 * against a bare AWS SDK PutObject loop with the same concurrency and the same files, for
 * snapshot-sized and 5 MB objects; and the drain time of a 10,000-object backlog.
 */
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Db } from '../appliance/store/duckdb';
import { migrate } from '../appliance/store/migrate';
import { LocalObjectStore } from '../appliance/objects/local';
import type { StoredObject } from '../appliance/objects/port';
import { S3Bucket } from '../appliance/objects/s3';
import { SyncWorker } from '../appliance/sync/worker';
import { SyncQueue } from '../appliance/sync/service';
import { createLogger } from '../appliance/shared/log';
import { tempDir, waitFor } from '../test/helpers/fixtures';
import { S3_KEY, startS3 } from '../test/helpers/s3rver';
import { syncCounts } from '../appliance/store/sync-objects';
import { row } from './lib/stats';

const CONCURRENCY = 4;

async function bareLoop(endpoint: string, bucket: string, files: Array<{ path: string; key: string }>): Promise<number> {
  const c = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: S3_KEY.access_key_id, secretAccessKey: S3_KEY.secret_access_key }, requestChecksumCalculation: 'WHEN_REQUIRED' });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < files.length) {
      const f = files[next++]!;
      await c.send(new PutObjectCommand({ Bucket: bucket, Key: `bare/${f.key}`, Body: new Uint8Array(await Bun.file(f.path).arrayBuffer()) }));
    }
  }));
  c.destroy();
  return (performance.now() - t0) / 1000;
}

/** fovea: the objects stored locally and queued, then the worker started; seconds until none is pending. */
async function foveaSync(endpoint: string, blobs: Uint8Array[], dir: string, label: string): Promise<{ s: number; files: Array<{ path: string; key: string }> }> {
  const db = await Db.open(join(dir, `${label}.duckdb`));
  await migrate(db);
  const store = new LocalObjectStore(join(dir, `${label}-objects`));
  const stored: StoredObject[] = [];
  for (const b of blobs) stored.push(await store.put(b, 'jpg'));
  const bucket = new S3Bucket({ endpoint, region: 'us-east-1', bucket: 'fovea', path_style: true, ...S3_KEY, multipart_threshold_bytes: 16 << 20, part_size_bytes: 8 << 20 });
  const worker = new SyncWorker({ db, bucket, pathOf: (k) => store.pathOf(k), concurrency: CONCURRENCY, log: createLogger({ bench: true }) });
  const queue = new SyncQueue(db, `bench-${label}`, 'box', worker, bucket, 600);
  const at = new Date();
  await db.transaction((tx) => queue.enqueue(tx, stored.map((o) => ({ key: o.key, size: o.size, origin: 'image', meta: {}, at }))));
  const t0 = performance.now();
  worker.start();
  await waitFor(async () => (await syncCounts(db)).pending === 0, 1_800_000, `${label} drained`);
  const s = (performance.now() - t0) / 1000;
  await worker.stop();
  bucket.close();
  db.close();
  return { s, files: stored.map((o) => ({ path: store.pathOf(o.key), key: o.key })) };
}

export async function syncBench(): Promise<string[]> {
  await using s3 = await startS3();
  await using dir = await tempDir('fovea-bench-sync-');
  const out: string[] = [];
  const cases = [
    { label: 'snapshot', n: 1000, size: 60 * 1024 },
    { label: '5MB', n: 40, size: 5 * 1024 * 1024 },
  ];
  for (const c of cases) {
    const blobs = Array.from({ length: c.n }, () => new Uint8Array(randomBytes(c.size)));
    const mb = (c.n * c.size) / 1e6;
    const f = await foveaSync(s3.endpoint, blobs, dir.path, c.label);
    const bare = await bareLoop(s3.endpoint, 'fovea', f.files);
    out.push(row([`${c.n} x ${c.label} (${(c.size / 1024).toFixed(0)} KiB)`, `bare SDK PutObject loop, ${CONCURRENCY} at once`, (c.n / bare).toFixed(1), (mb / bare).toFixed(1), '']));
    out.push(row([`${c.n} x ${c.label} (${(c.size / 1024).toFixed(0)} KiB)`, `fovea sync (outbox, checksum, bookkeeping), ${CONCURRENCY} at once`, (c.n / f.s).toFixed(1), (mb / f.s).toFixed(1), (bare / f.s).toFixed(2)]));
  }
  const backlog = Array.from({ length: 10_000 }, () => new Uint8Array(randomBytes(8 * 1024)));
  const b = await foveaSync(s3.endpoint, backlog, dir.path, 'backlog');
  out.push(row(['backlog of 10,000 x 8 KiB', `fovea sync drain, ${CONCURRENCY} at once`, (10_000 / b.s).toFixed(1), ((10_000 * 8192) / 1e6 / b.s).toFixed(1), `drained in ${b.s.toFixed(1)} s`]));
  return out;
}
