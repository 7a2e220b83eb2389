/**
 * Sync to a real S3-compatible server (s3rver) on loopback: documented keys and exact bytes; an
 * outage during registrations loses nothing and drains in priority order; wrong credentials and a
 * missing bucket are clear states with bounded retries and nothing lost.
 */
import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Bucket } from '../../appliance/objects/s3';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  COCO,
  VIDEOS,
  fileBlob,
  form,
  startAppliance,
  stream,
  tempDir,
  waitFor,
  type Appliance,
} from '../helpers/fixtures';
import { spawnFovea } from '../helpers/process';
import { Db } from '../../appliance/store/duckdb';
import { exportTables } from '../../appliance/sync/export';
import { createLogger } from '../../appliance/shared/log';
import { eventRecord } from '../helpers/events';
import { S3_KEY, startS3 } from '../helpers/s3rver';

const syncConfig = (endpoint: string, over: Record<string, unknown> = {}) => ({
  device_id: 'box-s3',
  sync: {
    endpoint,
    region: 'us-east-1',
    bucket: 'fovea',
    prefix: 'site',
    path_style: true,
    ...S3_KEY,
    concurrency: 4,
    // The backlog moves within 2 s of the bucket's return (30 s by default).
    offline_probe_max_s: 2,
    multipart_threshold_bytes: 16 << 20,
    part_size_bytes: 8 << 20,
    presign_expiry_s: 600,
    ...over,
  },
});
type SyncStatus = {
  state: string;
  failed_probes: number;
  pending: number;
  pending_bytes: number;
  uploaded: number;
  oldest_pending_age_s: number | null;
  last_error: { kind: string; message: string } | null;
};
const syncStatus = async (app: Appliance) => (await (await app.api('/api/sync')).json()) as SyncStatus;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function register(app: Appliance, files: string[]): Promise<Array<{ storage_key: string; created_at: string }>> {
  const out = [];
  for (const f of files) {
    const res = await app.api('/api/images', { method: 'POST', body: form({ file: await fileBlob(join(COCO, f)) }) });
    const id = ((await res.json()) as { image_id: string }).image_id;
    const rows = await app.rt.db.all<{ storage_key: string; thumb_key: string; preview_key: string; created_at: Date }>(
      'SELECT storage_key, thumb_key, preview_key, created_at FROM images WHERE id = $1::UUID',
      [id],
    );
    const at = new Date(rows[0]!.created_at).toISOString();
    // The original, the grid thumbnail and the preview.
    for (const k of [rows[0]!.storage_key, rows[0]!.thumb_key, rows[0]!.preview_key])
      out.push({ storage_key: k, created_at: at });
  }
  return out;
}

describe('S3 sync', () => {
  test('images and thumbnails land under <prefix>/<device>/<yyyy>/<mm>/<dd>/<sha256>.<ext> with their exact bytes and metadata', async () => {
    await using s3 = await startS3();
    await using app = await startAppliance(syncConfig(s3.endpoint));
    const files = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).slice(0, 3);
    const objects = await register(app, files);
    await waitFor(async () => (await syncStatus(app)).pending === 0, 30_000, 'uploads');
    const bucket = new S3Bucket({ ...syncConfig(s3.endpoint).sync });
    for (const o of objects) {
      const [shaHex, ext] = o.storage_key.split('/')[1]!.split('.');
      const d = o.created_at;
      const key = `site/box-s3/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${shaHex}.${ext}`;
      const body = await bucket.get(key);
      expect([key, body ? sha(body) : null, (await bucket.head(key))?.sha256]).toEqual([key, shaHex, shaHex]);
    }
    const st = await syncStatus(app);
    expect([st.state, st.uploaded, st.pending, st.last_error]).toEqual(['idle', objects.length, 0, null]);
    // Uploaded: image_url is a presigned bucket URL that downloads the original without credentials.
    const list = (await (await app.api('/api/images')).json()) as {
      items: Array<{ image_url: string; thumbnail_url: string }>;
    };
    const url = list.items[0]!.image_url;
    const got = await fetch(url);
    const downloaded = sha(new Uint8Array(await got.arrayBuffer()));
    expect([
      url.startsWith(`${s3.endpoint}/fovea/site/box-s3/`),
      url.includes('X-Amz-Signature='),
      got.status,
      objects.some((o) => o.storage_key.includes(downloaded)),
    ]).toEqual([true, true, 200, true]);
    bucket.close();
  }, 60_000);

  test('the server down during registrations: nothing lost, and when it is back the backlog drains snapshots first', async () => {
    await using s3 = await startS3();
    await using app = await startAppliance(syncConfig(s3.endpoint, { concurrency: 1 }));
    await s3.stop();
    const files = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).slice(3, 7);
    await register(app, files.slice(0, 2));
    // Event snapshots go before anything else once the bucket is back.
    for (const f of files.slice(2)) {
      await app.rt.images.register({
        data: new Uint8Array(await Bun.file(join(COCO, f)).arrayBuffer()),
        fileName: f,
        name: null,
        description: null,
        tags: ['snapshot'],
        origin: { kind: 'snapshot', stream: 'door', eventId: `e-${f}` },
      });
    }
    const down = await waitFor(
      async () => {
        const s = await syncStatus(app);
        return s.state === 'offline' && s.pending === 12 && s;
      },
      15_000,
      'offline with 12 pending',
    );
    // Not uploaded yet: the local URL.
    const pendingUrls = (
      (await (await app.api('/api/images')).json()) as { items: Array<{ image_url: string }> }
    ).items.map((i) => i.image_url);
    expect(pendingUrls.filter((u) => !u.startsWith(app.url))).toEqual([]);
    await s3.start();
    await waitFor(async () => (await syncStatus(app)).pending === 0, 90_000, 'the backlog drained');
    const order = await app.rt.db.all<{ priority: number; attempts: number }>(
      'SELECT priority, attempts FROM sync_objects ORDER BY uploaded_at',
    );
    expect([down.last_error?.kind, order.map((r) => r.priority)]).toEqual([
      'unreachable',
      [0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2],
    ]);
    // Paused during the outage, not retried object by object.
    expect(Math.max(...order.map((r) => r.attempts))).toBeLessThanOrEqual(2);
  }, 120_000);

  test('the server down during a video run: the queue grows, nothing is lost, and it drains in priority order', async () => {
    await using s3 = await startS3();
    await s3.stop();
    await using app = await startAppliance({
      ...syncConfig(s3.endpoint, { concurrency: 1 }),
      streams: [
        stream({ id: 'table', url: join(VIDEOS, 'one-by-one-person-detection.mp4'), pipeline: 'people', fps: 2 }),
      ],
    });
    await register(app, (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).slice(60, 62));
    await waitFor(() => app.rt.streams.get('table')!.view().state === 'stopped', 120_000, 'video analysed');
    const stored = await app.rt.db.all<{ k: string }>(
      'SELECT storage_key AS k FROM images UNION SELECT thumb_key FROM images UNION SELECT preview_key FROM images',
    );
    const snapshots = Number(
      (await app.rt.db.all<{ n: bigint }>("SELECT count(*) AS n FROM images WHERE list_contains(tags, 'snapshot')"))[0]!
        .n,
    );
    const down = await syncStatus(app);
    await s3.start();
    await waitFor(async () => (await syncStatus(app)).pending === 0, 90_000, 'the backlog drained');
    const rows = await app.rt.db.all<{ k: string; priority: number }>(
      'SELECT local_key AS k, priority FROM sync_objects WHERE uploaded_at IS NOT NULL ORDER BY uploaded_at',
    );
    const priorities = rows.map((r) => r.priority);
    expect([snapshots, down.state, down.pending, rows.length]).toEqual([
      expect.above(2),
      'offline',
      stored.length,
      stored.length,
    ]);
    expect([new Set(rows.map((r) => r.k)).size === stored.length, priorities]).toEqual([
      true,
      [...priorities].sort((a, b) => a - b),
    ]);
  }, 240_000);

  test('wrong credentials and a missing bucket: a clear state, bounded retries, nothing lost', async () => {
    await using s3 = await startS3();
    const file = (await readdir(COCO)).filter((f) => f.endsWith('.jpg'))[8]!;
    for (const [over, state] of [
      [{ access_key_id: 'NOT-A-KEY' }, 'unauthorized'],
      [{ bucket: 'missing' }, 'no_bucket'],
    ] as const) {
      await using app = await startAppliance(syncConfig(s3.endpoint, over));
      await register(app, [file]);
      const st = await waitFor(
        async () => {
          const s = await syncStatus(app);
          return s.state === state && s;
        },
        15_000,
        state,
      );
      // Two more probes of the bucket go by (with their backoff); the objects are not tried meanwhile.
      const later = await waitFor(
        async () => {
          const s = await syncStatus(app);
          return s.failed_probes >= st.failed_probes + 2 && s;
        },
        20_000,
        'two more probes of the bucket',
      );
      const attempts = await app.rt.db.all<{ a: number }>('SELECT max(attempts) AS a FROM sync_objects');
      expect({ pending: st.pending, kind: st.last_error?.kind, later: later.state }).toEqual({
        pending: 3,
        kind: state,
        later: state,
      });
      expect(attempts[0]!.a).toBeLessThanOrEqual(2);
    }
  }, 60_000);
});

test('SIGKILLed mid-upload and restarted: every object in the bucket exactly once, none corrupt', async () => {
  await using s3 = await startS3();
  await using state = await tempDir();
  await s3.stop();
  const config = { api: { auth: false }, ...syncConfig(s3.endpoint, { concurrency: 2 }) };
  const status = async (url: string) => (await (await fetch(`${url}/api/sync`)).json()) as SyncStatus;
  const files = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).slice(10, 40);
  {
    await using first = await spawnFovea(state.path, config);
    for (const f of files) {
      const res = await fetch(`${first.url}/api/images`, {
        method: 'POST',
        body: form({ file: await fileBlob(join(COCO, f)) }),
      });
      expect(res.status).toBe(201);
    }
    await waitFor(async () => (await status(first.url)).pending === files.length * 3, 20_000, 'all queued');
    await s3.start();
    await waitFor(async () => (await status(first.url)).uploaded >= 3, 60_000, 'the first uploads');
    await first.kill('SIGKILL');
  }
  await using second = await spawnFovea(state.path, config);
  await waitFor(async () => (await status(second.url)).pending === 0, 90_000, 'the rest uploaded after the restart');
  const expected = await (async () => {
    await second.kill('SIGTERM');
    const db = await Db.open(join(state.path, 'fovea.duckdb'));
    const rows = await db.all<{ k: string; s: string }>(
      'SELECT remote_key AS k, sha256 AS s FROM sync_objects ORDER BY k',
    );
    db.close();
    return rows;
  })();
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3_KEY.access_key_id, secretAccessKey: S3_KEY.secret_access_key },
  });
  const listed = await client.send(new ListObjectsV2Command({ Bucket: 'fovea', MaxKeys: 1000 }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
  const bucket = new S3Bucket({ ...syncConfig(s3.endpoint).sync });
  const corrupt: string[] = [];
  for (const r of expected) if (sha((await bucket.get(r.k))!) !== r.s) corrupt.push(r.k);
  expect([expected.length, keys, corrupt]).toEqual([files.length * 3, expected.map((r) => r.k), []]);
  bucket.close();
  client.destroy();
}, 240_000);

test('retention deletes local copies only once uploaded, oldest first; over budget with nothing uploaded, bulk images are refused and snapshots still taken; an evicted file redirects to the bucket', async () => {
  await using s3 = await startS3();
  await s3.stop();
  await using app = await startAppliance(
    syncConfig(s3.endpoint, { retention: { max_bytes: 1, max_disk_percent: 0, check_interval_s: 3600 } }),
  );
  const files = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).slice(40, 45);
  const objects = await register(app, files.slice(0, 3));
  const onDisk = async () =>
    (await Promise.all(objects.map((o) => Bun.file(app.rt.objects.pathOf(o.storage_key)).exists()))).filter(Boolean)
      .length;
  // Over budget, but nothing is uploaded: nothing goes, and the state says so.
  await app.rt.sync!.retention.check();
  const before = [app.rt.sync!.retention.state, await onDisk()];
  // Then bulk (a registered image) is refused with a clear error; an event snapshot is still taken.
  const refused = await app.api('/api/images', {
    method: 'POST',
    body: form({ file: await fileBlob(join(COCO, files[3]!)) }),
  });
  const refusal = [
    refused.status,
    ((await refused.json()) as { error: { code: string } }).error.code,
    refused.headers.get('retry-after'),
  ];
  const snap = await app.rt.images.register({
    data: await Bun.file(join(COCO, files[4]!)).bytes(),
    fileName: 'snap.jpg',
    name: null,
    description: null,
    tags: ['snapshot'],
    origin: { kind: 'snapshot', stream: 'door', eventId: 'e1' },
  });
  objects.push(
    { storage_key: snap.storage_key, created_at: '' },
    { storage_key: snap.thumb_key, created_at: '' },
    { storage_key: snap.preview_key!, created_at: '' },
  );
  await s3.start();
  await waitFor(async () => (await syncStatus(app)).pending === 0, 60_000, 'uploads');
  await app.rt.sync!.retention.check();
  const after = [app.rt.sync!.retention.state, await onDisk()];
  const list = (await (await app.api('/api/images')).json()) as { items: Array<{ image_id: string }> };
  const res = await app.api(`/api/images/${list.items[0]!.image_id}/file`, { redirect: 'manual' });
  const followed = await fetch(res.headers.get('location')!);
  const wanted = (await app.rt.images.get(list.items[0]!.image_id)).storage_key;
  const body = sha(new Uint8Array(await followed.arrayBuffer()));
  const again = await app.api('/api/images', {
    method: 'POST',
    body: form({ file: await fileBlob(join(COCO, files[3]!)) }),
  });
  expect([before, refusal, after, res.status, followed.status, wanted.includes(body), again.status]).toEqual([
    ['over_budget', 9],
    [507, 'storage_full', '60'],
    ['ok', 0],
    302,
    200,
    true,
    201,
  ]);
  const st = (await (await app.api('/api/sync')).json()) as { retention: { evicted: { objects: number } } };
  expect(st.retention.evicted.objects).toBe(12);
}, 120_000);

test('the Parquet export lands partitioned by device and date, reads back in DuckDB, and only new rows go next time', async () => {
  await using s3 = await startS3();
  await using app = await startAppliance(syncConfig(s3.endpoint));
  await using out = await tempDir();
  await register(app, (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).slice(50, 53));
  for (let i = 0; i < 25; i++) await app.rt.sink.event(eventRecord(i, 'door'));
  await app.rt.sink.frame({
    sessionId: Bun.randomUUIDv7(),
    revision: null,
    stream: 'door',
    seq: 1,
    ptsS: 0,
    timestamp: new Date(),
    detections: [{ label: 'person', classId: 0, score: 0.9, box: [1, 2, 3, 4], trackId: 7 }],
  });
  await app.rt.sink.flush();
  await app.rt.analytics.refresh();
  const bucket = app.rt.sync!.bucket;
  const deps = {
    db: app.rt.db,
    bucket,
    prefix: 'site',
    device: 'box-s3',
    log: createLogger({ test: true }),
    now: () => Date.now() + 120_000,
  };
  const first = await exportTables(deps);
  const again = await exportTables(deps);
  // Download what landed, keeping the key layout, and read it as any Parquet engine would.
  const files = first.flatMap((t) => t.files);
  for (const k of files) {
    const p = join(out.path, k);
    await mkdir(join(p, '..'), { recursive: true });
    await Bun.write(p, (await bucket.get(k))!);
  }
  const db = await Db.open(join(out.path, 'read.duckdb'));
  const q = async (table: string) =>
    db.all<{ device: string; n: bigint; date: string }>(
      `SELECT device, CAST(date AS VARCHAR) AS date, count(*) AS n FROM read_parquet('${out.path}/site/_tables/${table}/*/*/*.parquet', hive_partitioning = true) GROUP BY ALL`,
    );
  const events = await q('events');
  const images = await q('images');
  const dets = await q('detections');
  const daily = await db.all<{ zone: string; label: string; detections: bigint }>(
    `SELECT zone, label, detections FROM read_parquet('${out.path}/site/_tables/analytics_daily/*/*/*.parquet', hive_partitioning = true) ORDER BY zone`,
  );
  const emb = await db.all<{ d: number }>(
    `SELECT len(embedding) AS d FROM read_parquet('${out.path}/site/_tables/images/*/*/*.parquet', hive_partitioning = true) LIMIT 1`,
  );
  db.close();
  expect(
    files.every((k) =>
      /^site\/_tables\/(events|detections|images|analytics_daily)\/device=box-s3\/date=\d{4}-\d{2}-\d{2}\/[\d-]+_\d+\.parquet$/.test(
        k,
      ),
    ),
  ).toBe(true);
  expect([first.map((t) => [t.table, t.rows]), again.map((t) => t.rows)]).toEqual([
    [
      ['events', 25],
      ['detections', 1],
      ['images', 3],
      ['analytics_daily', 2],
      ['shadow_events', 0],
      ['shadow_detections', 0],
      ['reviews', 0],
    ],
    [0, 0, 0, 0, 0, 0, 0],
  ]);
  // The whole view counts the one detection; the zone counts its entries (two of every three events).
  expect(daily.map((r) => [r.zone, r.label, Number(r.detections)])).toEqual([
    ['', 'person', 1],
    ['door', 'person', 16],
  ]);
  expect([
    events.map((r) => [r.device, Number(r.n)]),
    Number(images[0]!.n),
    Number(dets[0]!.n),
    Number(emb[0]!.d),
  ]).toEqual([[['box-s3', 25]], 3, 1, app.rt.embedder.dims]);
}, 60_000);

test('deleting an image deletes its objects in the bucket, also one deleted while the bucket was down; keep_remote_on_delete keeps them', async () => {
  await using s3 = await startS3();
  await using app = await startAppliance(syncConfig(s3.endpoint));
  const files = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).slice(60, 62);
  const ids: string[] = [];
  for (const f of files) {
    const res = await app.api('/api/images', { method: 'POST', body: form({ file: await fileBlob(join(COCO, f)) }) });
    ids.push(((await res.json()) as { image_id: string }).image_id);
  }
  await waitFor(async () => (await syncStatus(app)).pending === 0, 30_000, 'the uploads');
  const remoteOf = async (id: string) =>
    (
      await app.rt.db.all<{ k: string }>(
        `SELECT remote_key AS k FROM sync_objects WHERE local_key IN (SELECT storage_key FROM images WHERE id = $1::UUID
           UNION SELECT thumb_key FROM images WHERE id = $1::UUID
           UNION SELECT preview_key FROM images WHERE id = $1::UUID) ORDER BY k`,
        [id],
      )
    ).map((r) => r.k);
  const bucket = app.rt.sync!.bucket;
  const inBucket = async (keys: string[]) =>
    (await Promise.all(keys.map((k) => bucket.head(k)))).filter(Boolean).length;
  const [a, b] = [await remoteOf(ids[0]!), await remoteOf(ids[1]!)];
  expect([a.length, b.length, await inBucket([...a, ...b])]).toEqual([3, 3, 6]);
  expect((await app.api(`/api/images/${ids[0]}`, { method: 'DELETE' })).status).toBe(204);
  await waitFor(async () => (await inBucket(a)) === 0, 15_000, 'the first image gone from the bucket');
  // The bucket away: the delete waits in the queue, then happens when it is back.
  await s3.stop();
  expect((await app.api(`/api/images/${ids[1]}`, { method: 'DELETE' })).status).toBe(204);
  const waiting = await waitFor(
    async () => {
      const s = (await syncStatus(app)) as unknown as { deletes: { pending: number; last_error: string | null } };
      return s.deletes.pending === 3 && s.deletes.last_error && s.deletes;
    },
    15_000,
    'three deletes waiting, having failed',
  );
  await s3.start();
  await waitFor(async () => (await inBucket(b)) === 0, 60_000, 'the second image gone once the bucket is back');
  // The bucket empties before the deleter records its last delete: wait for its counters.
  const after = await waitFor(
    async () => {
      const s = (await syncStatus(app)) as unknown as { deletes: { pending: number; deleted: number } };
      return s.deletes.pending === 0 && s.deletes.deleted === 6 && s.deletes;
    },
    30_000,
    'the deleter to record every delete',
  );
  expect([waiting.pending, after.pending, after.deleted]).toEqual([3, 0, 6]);
  await waitFor(
    async () => (await app.rt.db.all('SELECT local_key FROM sync_objects')).length === 0,
    30_000,
    'the sync rows of the deleted images to go',
  );

  // The archive behaviour, when asked for: a deleted image stays in the bucket.
  await using keep = await startAppliance(syncConfig(s3.endpoint, { keep_remote_on_delete: true }));
  const res = await keep.api('/api/images', {
    method: 'POST',
    body: form({ file: await fileBlob(join(COCO, files[0]!)) }),
  });
  const kept = ((await res.json()) as { image_id: string }).image_id;
  await waitFor(async () => (await syncStatus(keep)).pending === 0, 30_000, 'the upload');
  const keys = (await keep.rt.db.all<{ k: string }>('SELECT remote_key AS k FROM sync_objects ORDER BY k')).map(
    (r) => r.k,
  );
  expect((await keep.api(`/api/images/${kept}`, { method: 'DELETE' })).status).toBe(204);
  expect([((await syncStatus(keep)) as unknown as { deletes: unknown }).deletes, await inBucket(keys)]).toEqual([
    null,
    3,
  ]);
}, 120_000);
