/**
 * @module Upload throughput to the same S3-compatible server (s3rver on loopback), in one run:
 * fovea's sync (DuckDB outbox, priority order, per-object bookkeeping, SHA-256 checksum header)
 * against a bare AWS SDK PutObject loop with the same concurrency and the same files, for
 * snapshot-sized and 5 MB objects (both warmed first, then 4 pairs in alternating order, medians); and
 * the drain time of a 10,000-object backlog.
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
import { tempDir } from '../test/helpers/fixtures';
import { S3_KEY, startS3 } from '../test/helpers/s3rver';
import { syncCounts } from '../appliance/store/sync-objects';
import { median, row } from './lib/stats';

const CONCURRENCY = 4;

async function bareLoop(
  endpoint: string,
  bucket: string,
  files: Array<{ path: string; key: string }>,
): Promise<number> {
  const c = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3_KEY.access_key_id, secretAccessKey: S3_KEY.secret_access_key },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < files.length) {
        const f = files[next++]!;
        await c.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `bare/${f.key}`,
            Body: new Uint8Array(await Bun.file(f.path).arrayBuffer()),
          }),
        );
      }
    }),
  );
  c.destroy();
  return (performance.now() - t0) / 1000;
}

interface Prepared {
  files: Array<{ path: string; key: string }>;
  run(): Promise<number>;
}

/**
 * fovea: the objects stored locally and queued (not timed); run() starts the worker and returns
 * the seconds until every upload is recorded.
 */
async function prepareFovea(endpoint: string, blobs: Uint8Array[], dir: string, label: string): Promise<Prepared> {
  const db = await Db.open(join(dir, `${label}.duckdb`));
  await migrate(db);
  const store = new LocalObjectStore(join(dir, `${label}-objects`));
  const stored: StoredObject[] = [];
  for (const b of blobs) stored.push(await store.put(b, 'jpg'));
  const bucket = new S3Bucket({
    endpoint,
    region: 'us-east-1',
    bucket: 'fovea',
    path_style: true,
    ...S3_KEY,
    multipart_threshold_bytes: 16 << 20,
    part_size_bytes: 8 << 20,
  });
  const worker = new SyncWorker({
    db,
    bucket,
    pathOf: (k) => store.pathOf(k),
    concurrency: CONCURRENCY,
    log: createLogger({ bench: true }),
  });
  const queue = new SyncQueue(db, `bench-${label}`, 'box', worker, bucket, 600);
  const at = new Date();
  await db.transaction((tx) =>
    queue.enqueue(
      tx,
      stored.map((o) => ({ key: o.key, size: o.size, origin: 'image', meta: {}, at })),
    ),
  );
  const run = async () => {
    const t0 = performance.now();
    worker.start();
    // Watched in memory: polling the table would put the bench's own queries in the measurement.
    while (worker.completed < blobs.length) await Bun.sleep(5);
    await worker.stop(); // records the last uploads
    const s = (performance.now() - t0) / 1000;
    if ((await syncCounts(db)).pending !== 0) throw new Error(`${label}: uploads left unrecorded`);
    bucket.close();
    db.close();
    return s;
  };
  return { files: stored.map((o) => ({ path: store.pathOf(o.key), key: o.key })), run };
}

export async function syncBench(): Promise<string[]> {
  // The server has core 1 and the bench core 0, as a remote S3 would not share the box's CPU.
  const pinned = navigator.hardwareConcurrency >= 2 && Bun.which('taskset') !== null;
  if (pinned) Bun.spawnSync(['taskset', '-a', '-p', '-c', '0', String(process.pid)]);
  await using s3 = await startS3(['fovea'], pinned ? '1' : undefined);
  await using dir = await tempDir('fovea-bench-sync-');
  const out: string[] = [];
  const cases = [
    { label: 'snapshot', n: 3000, size: 60 * 1024 },
    { label: '5MB', n: 40, size: 5 * 1024 * 1024 },
  ];
  for (const c of cases) {
    const blobs = Array.from({ length: c.n }, () => new Uint8Array(randomBytes(c.size)));
    const mb = (c.n * c.size) / 1e6;
    // Warm both paths (connections, JIT) before timing. Then 4 pairs on the same files; the
    // first upload pass after the files are written runs slower for either side (about 0.7 of
    // the second, measured), so the order alternates: fovea first, bare first, and so on. Medians.
    const warm = await prepareFovea(s3.endpoint, blobs.slice(0, 20), dir.path, `${c.label}-warm`);
    await warm.run();
    await bareLoop(s3.endpoint, 'fovea', warm.files);
    const f: number[] = [];
    const b: number[] = [];
    for (let rep = 0; rep < 4; rep++) {
      const p = await prepareFovea(s3.endpoint, blobs, dir.path, `${c.label}-${rep}`);
      if (rep % 2 === 0) {
        f.push(await p.run());
        b.push(await bareLoop(s3.endpoint, 'fovea', p.files));
      } else {
        b.push(await bareLoop(s3.endpoint, 'fovea', p.files));
        f.push(await p.run());
      }
    }
    const [fs, bs] = [median(f), median(b)];
    const what = `${c.n} x ${c.label} (${(c.size / 1024).toFixed(0)} KiB)`;
    out.push(
      row([what, `bare SDK PutObject loop, ${CONCURRENCY} at once`, (c.n / bs).toFixed(1), (mb / bs).toFixed(1), '']),
    );
    out.push(
      row([
        what,
        `fovea sync (outbox, checksum, bookkeeping), ${CONCURRENCY} at once`,
        (c.n / fs).toFixed(1),
        (mb / fs).toFixed(1),
        (bs / fs).toFixed(2),
      ]),
    );
  }
  const backlog = Array.from({ length: 10_000 }, () => new Uint8Array(randomBytes(8 * 1024)));
  const drain = await (await prepareFovea(s3.endpoint, backlog, dir.path, 'backlog')).run();
  out.push(
    row([
      'backlog of 10,000 x 8 KiB',
      `fovea sync drain, ${CONCURRENCY} at once`,
      (10_000 / drain).toFixed(1),
      ((10_000 * 8192) / 1e6 / drain).toFixed(1),
      `drained in ${drain.toFixed(1)} s`,
    ]),
  );
  return out;
}
