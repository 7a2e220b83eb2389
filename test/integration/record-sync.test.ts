/**
 * Alert clips to the bucket (issue 30), on real parts: a recorded stream (the person clip as a
 * camera), a real S3-compatible server that is down while the first alerts end. Each ended alert's
 * clip is cut once its post-roll is recorded, kept under its content key and queued with the item
 * marked, so the bucket being down loses nothing: once it is back, every clip is there, under the
 * content-key scheme, and reads as the MP4 it was.
 */
import { expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { S3Bucket } from '../../appliance/objects/s3';
import { personStream, startAppliance, stream, tempDir, waitFor } from '../helpers/fixtures';
import { S3_KEY, startS3 } from '../helpers/s3rver';

test("alerts' clips reach the bucket under their content key, also those that ended while it was down", async () => {
  await using s3 = await startS3();
  const sync = {
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: 'fovea',
    prefix: 'site',
    path_style: true,
    ...S3_KEY,
    // The backlog moves within 2 s of the bucket's return (30 s by default).
    offline_probe_max_s: 2,
  };
  await s3.stop();
  await using app = await startAppliance({
    device_id: 'box-clips',
    sync,
    recordings: { min_free_mb: 0, check_interval_s: 1 },
    streams: [
      stream({
        ...personStream('door'),
        record: { enabled: true, mode: 'events', segment_s: 2, pre_s: 1, post_s: 1 },
        review: { gap_s: 2, max_s: 15 },
      }),
    ],
  });
  type Row = { id: string; clip_key: string | null; uploaded: boolean | null };
  const rows = () =>
    app.rt.db.all<Row>(
      `SELECT i.id::VARCHAR AS id, i.clip_key, o.uploaded_at IS NOT NULL AS uploaded FROM review_items i
         LEFT JOIN sync_objects o ON o.local_key = i.clip_key WHERE i.severity = 'alert' AND i.end_ts IS NOT NULL`,
    );
  // While the bucket is down: clips are cut and queued, none uploaded.
  const queued = await waitFor(
    async () => {
      const r = (await rows()).filter((x) => x.clip_key);
      return r.length >= 2 && r;
    },
    120_000,
    'two alert clips kept while the bucket is down',
  );
  expect(queued.every((r) => r.uploaded === false)).toBe(true);
  await s3.start();
  const done = await waitFor(
    async () => {
      const r = (await rows()).filter((x) => x.clip_key);
      return r.length >= 2 && r.every((x) => x.uploaded) && r;
    },
    120_000,
    'the clips uploaded once the bucket is back',
  );
  const keys = await app.rt.db.all<{ local_key: string; remote_key: string }>(
    `SELECT local_key, remote_key FROM sync_objects WHERE list_contains(?, local_key)`,
    [done.map((d) => d.clip_key!)],
  );
  const bucket = new S3Bucket({ ...sync, multipart_threshold_bytes: 16 << 20, part_size_bytes: 8 << 20 });
  await using dir = await tempDir('fovea-clips-');
  try {
    for (const k of keys) {
      const sha = /^[0-9a-f]{2}\/([0-9a-f]{64})\.mp4$/.exec(k.local_key)![1]!;
      expect(k.remote_key).toMatch(new RegExp(`^site/box-clips/\\d{4}/\\d{2}/\\d{2}/${sha}\\.mp4$`));
      const bytes = (await bucket.get(k.remote_key))!;
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha);
      const file = join(dir.path, `${sha}.mp4`);
      await Bun.write(file, bytes);
      const p = Bun.spawn(['ffprobe', '-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file], {
        stdout: 'pipe',
      });
      expect((await new Response(p.stdout).text()).trim()).toBe('h264');
    }
  } finally {
    bucket.close();
  }
}, 300_000);
