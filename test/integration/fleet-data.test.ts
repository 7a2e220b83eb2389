/**
 * Fleet-wide search and queries from the bucket: three appliance processes (each a person clip
 * through the people pipeline, each its own photos) export to one s3rver bucket; `fovea fleet
 * search` and `fovea fleet query`, run from a fourth directory with only the bucket's credentials,
 * find box 2's photo first and count each box's events exactly as that box does.
 */
import { expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { COCO, ensureModel, fileBlob, form, MODELS_DIR, tempDir, VIDEOS, waitFor } from '../helpers/fixtures';
import { foveaCli, spawnFovea, type FoveaProcess } from '../helpers/process';
import { S3_KEY, startS3 } from '../helpers/s3rver';
import { S3Bucket } from '../../appliance/objects/s3';
import { syncTables } from '../../appliance/lake/cache';

const bucketOf = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  bucket: 'fovea',
  prefix: 'fleet',
  path_style: true,
  ...S3_KEY,
});

interface Hit {
  device: string;
  id: string;
  name: string | null;
  score: number;
  url: string;
}

test("three boxes export to one bucket; fleet search finds box 2's photo first, fleet query counts each box's events", async () => {
  await ensureModel();
  await using s3 = await startS3();
  await using dir = await tempDir();
  const photos = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).sort();
  const boxes: FoveaProcess[] = [];
  await using _boxes = {
    [Symbol.asyncDispose]: async () => {
      await Promise.all(boxes.map((b) => b[Symbol.asyncDispose]()));
    },
  };
  for (const n of [1, 2, 3])
    boxes.push(
      await spawnFovea(join(dir.path, `box-${n}`), {
        device_id: `box-${n}`,
        api: { auth: false, rate_limit_per_minute: 1_000_000 },
        sync: { ...bucketOf(s3.endpoint), export_interval_s: 1, export_settle_s: 0 },
        streams: [
          {
            id: 'door',
            url: join(VIDEOS, 'person-bicycle-car-detection_from-gif.mp4'),
            pipeline: 'people',
            realtime: false,
            overrides: { 'track.min_hits': 1 },
          },
        ],
      }),
    );
  // Each box its own photos: box 2 the one searched for, with COCO photos beside it on every box.
  const own = { 1: photos.slice(0, 4), 2: [...photos.slice(4, 7), 'target'], 3: photos.slice(7, 11) } as const;
  const target = join(VIDEOS, '..', 'images', 'dog.jpg');
  for (const [i, box] of boxes.entries())
    for (const f of own[(i + 1) as 1 | 2 | 3]) {
      const path = f === 'target' ? target : join(COCO, f);
      const res = await fetch(`${box.url}/api/images`, {
        method: 'POST',
        body: form({ file: await fileBlob(path), name: f === 'target' ? 'the dog' : f }),
      });
      expect(res.status).toBe(201);
    }
  // Every box: its clip analysed, its uploads done and everything exported.
  const totals: number[] = [];
  for (const box of boxes) {
    await waitFor(
      async () => {
        const s = (await (await fetch(`${box.url}/api/streams`)).json()) as {
          items: Array<{ state: string; frames_analysed: number }>;
        };
        const sync = (await (await fetch(`${box.url}/api/sync`)).json()) as { pending: number };
        return s.items[0]!.state === 'stopped' && s.items[0]!.frames_analysed > 0 && sync.pending === 0;
      },
      60_000,
      'the clip analysed and the uploads done',
    );
    totals.push(((await (await fetch(`${box.url}/api/events?limit=1`)).json()) as { total: number }).total);
  }
  expect(totals.every((t) => t > 0)).toBe(true);

  // A fourth directory, with nothing but the bucket's credentials and the models.
  const ops = join(dir.path, 'ops');
  const config = join(dir.path, 'ops.yaml');
  await writeFile(
    config,
    stringify({
      state_dir: ops,
      models: { dir: MODELS_DIR, providers: ['cpu'] },
      sync: bucketOf(s3.endpoint),
      log: { level: 'error' },
    }),
  );
  const fleet = (args: string[]) => foveaCli(['fleet', ...args, '--config', config]);
  const counts = async () => {
    const q = await fleet([
      'query',
      'SELECT device, count(*) AS n FROM events GROUP BY device ORDER BY device',
      '--json',
    ]);
    if (q.code !== 0) throw new Error(q.err);
    return JSON.parse(q.out) as Array<{ device: string; n: number }>;
  };
  // The exports run every second: wait until each box's events are all in the bucket.
  const byDevice = await waitFor(
    async () => {
      const c = await counts();
      return c.length === 3 && c.every((r, i) => r.n === totals[i]) && c;
    },
    60_000,
    'every event exported',
  );
  expect(byDevice).toEqual([
    { device: 'box-1', n: totals[0]! },
    { device: 'box-2', n: totals[1]! },
    { device: 'box-3', n: totals[2]! },
  ]);

  // Review items too, each box's as it has them (an item is exported again when it changes; the
  // table keeps its newest version).
  const items: number[] = [];
  for (const box of boxes) {
    const n = await waitFor(
      async () => {
        const r = (await (await fetch(`${box.url}/api/review?limit=1000`)).json()) as {
          items: Array<{ end: string | null }>;
        };
        return r.items.length > 0 && r.items.every((i) => i.end) && r.items.length;
      },
      30_000,
      'the review items ended',
    );
    items.push(n);
  }
  const reviews = await waitFor(
    async () => {
      const q = await fleet([
        'query',
        'SELECT device, count(*) AS n, count(end_ts) AS ended FROM reviews GROUP BY device ORDER BY device',
        '--json',
      ]);
      if (q.code !== 0) throw new Error(q.err);
      const r = JSON.parse(q.out) as Array<{ device: string; n: number; ended: number }>;
      return r.length === 3 && r.every((x, i) => x.ended === items[i]) && r;
    },
    60_000,
    'every review item exported',
  );
  expect(reviews.map((r) => [r.device, r.n])).toEqual(items.map((n, i) => [`box-${i + 1}`, n]));

  const search = async (...extra: string[]) => {
    const s = await fleet(['search', '--image', target, '--json', ...extra]);
    if (s.code !== 0) throw new Error(s.err);
    return JSON.parse(s.out) as Hit[];
  };
  const hits = await waitFor(
    async () => {
      const h = await search('--limit', '5');
      return h.length === 5 && h;
    },
    60_000,
    'every image exported',
  );
  expect([hits[0]!.device, hits[0]!.name, hits[0]!.score]).toEqual(['box-2', 'the dog', 1]);
  expect(hits.slice(1).every((h) => h.score < 0.99)).toBe(true);
  // The presigned URL gives the photo itself, without credentials.
  const photo = new Uint8Array(await (await fetch(hits[0]!.url)).arrayBuffer());
  expect(Buffer.from(photo).equals(Buffer.from(await Bun.file(target).arrayBuffer()))).toBe(true);
  // --device narrows the search; images carry their model.
  expect((await search('--device', 'box-3')).every((h) => h.device === 'box-3')).toBe(true);
  const models = await fleet(['query', 'SELECT DISTINCT model_id FROM images', '--json']);
  expect(JSON.parse(models.out)).toEqual([{ model_id: 'mobilenetv2-embed@1' }]);

  // The cache is incremental by key: a second sync fetches nothing, a key gone from the bucket goes here too.
  const bucket = new S3Bucket({
    ...bucketOf(s3.endpoint),
    multipart_threshold_bytes: 16 << 20,
    part_size_bytes: 8 << 20,
  });
  await using _b = { [Symbol.asyncDispose]: async () => bucket.close() };
  const cache = join(ops, 'fleet-tables');
  const keys = await bucket.list('fleet/_tables/');
  expect(await syncTables(bucket, 'fleet', cache)).toEqual({ fetched: 0, kept: keys.length, removed: 0, bytes: 0 });
  const gone = keys.filter((k) => k.key.includes('/images/device=box-3/'));
  for (const k of gone) await bucket.delete(k.key);
  expect(await syncTables(bucket, 'fleet', cache)).toEqual({
    fetched: 0,
    kept: keys.length - gone.length,
    removed: gone.length,
    bytes: 0,
  });
  const images = await fleet([
    'query',
    "SELECT device, count(*) AS n FROM images WHERE NOT list_contains(tags, 'snapshot') GROUP BY ALL ORDER BY device",
    '--json',
    '--offline',
  ]);
  expect(JSON.parse(images.out)).toEqual([
    { device: 'box-1', n: 4 },
    { device: 'box-2', n: 4 },
  ]);

  // Bad input: a clear error, exit 2.
  const bad = await fleet(['query', 'SELECT * FROM nosuch']);
  expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('tables: events, detections, images')]);
  const noImage = await fleet(['search']);
  expect([noImage.code, noImage.err]).toEqual([2, expect.stringContaining('--image')]);
}, 240_000);

test('fovea fleet search with a config that names no bucket says so before it pulls any model', async () => {
  await using dir = await tempDir();
  const config = join(dir.path, 'fovea.yaml');
  const models = join(dir.path, 'models');
  await writeFile(config, `state_dir: ${join(dir.path, 'state')}\nmodels:\n  dir: ${models}\n`);
  const r = await foveaCli(['fleet', 'search', '--image', join(COCO, '000000000139.jpg'), '--config', config]);
  expect([r.code, r.err]).toEqual([1, expect.stringContaining('the config names no bucket')]);
  expect(existsSync(models)).toBe(false);
});
