/**
 * Backup and restore for real: `fovea backup` against a running appliance (analysing a video and
 * holding registered photos) asks it for a consistent snapshot; `fovea restore` puts it in place
 * of another, stopped box's state; that box then serves the same search results. Restoring over a
 * running box, or from a backup with a changed file, is refused and changes nothing.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { cp, readdir, writeFile, mkdir } from 'node:fs/promises';
import { stringify } from 'yaml';
import { COCO, ensureModel, fileBlob, form, startAppliance, tempDir, VIDEOS, waitFor } from '../helpers/fixtures';
import { S3_KEY, startS3 } from '../helpers/s3rver';
import { createHash } from 'node:crypto';
import { foveaCli, spawnFovea } from '../helpers/process';

/** The command's exit code and everything it printed. */
const fovea = async (args: string[]) => {
  const r = await foveaCli(args);
  return { code: r.code, out: (r.out + r.err).trim() };
};

interface Hit {
  id: string;
  score: number;
}
async function search(url: string, photo: string): Promise<Hit[]> {
  const res = await fetch(`${url}/api/search`, {
    method: 'POST',
    body: form({ file: [await fileBlob(join(COCO, photo), 'image/jpeg'), photo], limit: '5' }),
  });
  if (res.status !== 200) throw new Error(`search: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { results: Array<{ image_id: string; similarity_score: number }> };
  return body.results.map((h) => ({ id: h.image_id, score: Math.round(h.similarity_score * 1e4) / 1e4 }));
}

test('a backup taken during a video run restores to a box that serves the same search results', async () => {
  await ensureModel();
  await using dir = await tempDir();
  const a = join(dir.path, 'a');
  const config = {
    device_id: 'box-a',
    api: { auth: false, rate_limit_per_minute: 1_000_000 },
    backup: { schedule: false },
  };
  const photos = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).slice(0, 12);
  await using box = await spawnFovea(a, {
    ...config,
    streams: [
      {
        id: 'table',
        url: join(VIDEOS, 'people-detection_from-gif.mp4'),
        pipeline: 'people',
        fps: 4,
        realtime: true,
        loop: true,
      },
    ],
  });
  for (const p of photos) {
    const r = await fetch(`${box.url}/api/images`, {
      method: 'POST',
      body: form({ file: [await fileBlob(join(COCO, p), 'image/jpeg'), p], name: p }),
    });
    expect(r.status).toBe(201);
  }
  await waitFor(
    async () =>
      ((await (await fetch(`${box.url}/api/streams/table`)).json()) as { frames_analysed: number }).frames_analysed >
      10,
    60_000,
    'the video being analysed',
  );

  // The running box takes the backup itself (the CLI finds the database locked and asks its API).
  const made = await fovea(['backup', '--config', join(a, 'fovea.yaml'), '--url', box.url]);
  expect([made.code, made.out]).toEqual([0, expect.stringMatching(/^fovea-box-a-\d{8}T\d{6}Z$/m)]);
  const name = made.out.split('\n').at(-1)!;
  const backupDir = join(a, 'backups', name);
  const manifest = JSON.parse(await Bun.file(join(backupDir, 'manifest.json')).text()) as {
    counts: Record<string, number>;
    files: Array<{ path: string }>;
  };
  expect([
    manifest.counts.images!,
    manifest.counts.detections!,
    manifest.files.map((f) => f.path).includes('fovea.duckdb'),
  ]).toEqual([expect.atLeast(12), expect.above(0), true]);
  const before = await search(box.url, photos[3]!);
  expect(before[0]!.score).toBeGreaterThan(0.99);

  // Restoring over the running box is refused.
  const over = await fovea(['restore', backupDir, '--config', join(a, 'fovea.yaml')]);
  expect([over.code, over.out]).toEqual([1, expect.stringContaining('stop it first')]);

  // A changed file in a backup is refused before anything is replaced.
  const bad = join(dir.path, 'tampered');
  await cp(backupDir, bad, { recursive: true });
  const db = await Bun.file(join(bad, 'fovea.duckdb')).bytes();
  db[db.length - 100] = db[db.length - 100]! ^ 0xff;
  await writeFile(join(bad, 'fovea.duckdb'), db);
  const b = join(dir.path, 'b');
  await mkdir(b);
  const bConfig = join(b, 'cli.yaml');
  await writeFile(bConfig, stringify({ state_dir: b }));
  const refused = await fovea(['restore', bad, '--config', bConfig]);
  expect([refused.code, refused.out]).toEqual([1, expect.stringContaining('does not match its sha256')]);

  // Another box restored from it answers the same search the same way.
  const restored = await fovea(['restore', backupDir, '--config', bConfig]);
  expect([restored.code, restored.out]).toEqual([0, expect.stringContaining(`restored ${name}`)]);
  await using boxB = await spawnFovea(b, { ...config, device_id: 'box-b' });
  expect(await search(boxB.url, photos[3]!)).toEqual(before);
  expect(await search(boxB.url, photos[7]!)).toEqual(await search(box.url, photos[7]!));
}, 180_000);

test('with S3 sync on, a backup is also uploaded, manifest last, each file with the bytes the manifest names', async () => {
  await using s3 = await startS3();
  await using app = await startAppliance({
    device_id: 'box-bk',
    sync: { endpoint: s3.endpoint, region: 'us-east-1', bucket: 'fovea', prefix: 'site', path_style: true, ...S3_KEY },
    backup: { schedule: false },
  });
  const res = await app.api('/api/backup', { method: 'POST' });
  const m = (await res.json()) as { name: string; files: Array<{ path: string; sha256: string }> };
  expect(res.status).toBe(201);
  const bucket = app.rt.sync!.bucket;
  for (const f of [...m.files, { path: 'manifest.json', sha256: null }]) {
    const body = await bucket.get(`site/box-bk/_backups/${m.name}/${f.path}`);
    expect([
      f.path,
      body !== null,
      f.sha256 === null || createHash('sha256').update(body!).digest('hex') === f.sha256,
    ]).toEqual([f.path, true, true]);
  }
  const listed = (await (await app.api('/api/backup')).json()) as { backups: string[]; last: { ok: boolean } };
  expect([listed.backups, listed.last.ok]).toEqual([[m.name], true]);
}, 60_000);

test('a stopped box is backed up directly: its database as it is, and its index files', async () => {
  await using dir = await tempDir();
  const state = join(dir.path, 'state');
  await mkdir(state);
  {
    await using app = await startAppliance({ backup: { schedule: false } }, state);
    for (const p of (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).slice(20, 23)) {
      expect(
        (
          await app.api('/api/images', {
            method: 'POST',
            body: form({ file: [await fileBlob(join(COCO, p), 'image/jpeg'), p] }),
          })
        ).status,
      ).toBe(201);
    }
  }
  const config = join(dir.path, 'cli.yaml');
  await writeFile(config, stringify({ state_dir: state, device_id: 'box-off' }));
  const made = await fovea(['backup', '--config', config, '--to', join(dir.path, 'out')]);
  expect(made.code).toBe(0);
  const m = JSON.parse(await Bun.file(join(dir.path, 'out', made.out.split('\n').at(-1)!, 'manifest.json')).text()) as {
    counts: { images: number };
    files: Array<{ path: string }>;
  };
  expect([
    m.counts.images,
    m.files.map((f) => f.path).filter((p) => p.startsWith('index/')).length,
    m.files.some((f) => f.path === 'cli.yaml'),
  ]).toEqual([3, 2, true]);
}, 60_000);
