/**
 * Faults caused for real: the state dir on a small tmpfs that fills up during registrations, the
 * database held by another process, and a SIGKILL in the middle of a burst of registrations. Each
 * answer is a clear error, and after a restart every acknowledged image is there and searchable.
 * Needs root (mount).
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import { COCO, ensureModel, fileBlob, form, tempDir, waitFor } from '../helpers/fixtures';
import { spawnFovea } from '../helpers/process';

const config = {
  device_id: 'box-f',
  api: { auth: false, rate_limit_per_minute: 1_000_000 },
  backup: { schedule: false },
};

async function register(
  url: string,
  photo: string,
  name: string,
): Promise<{ status: number; id: string | null; code: string | null }> {
  const res = await fetch(`${url}/api/images`, {
    method: 'POST',
    body: form({ file: [await fileBlob(join(COCO, photo), 'image/jpeg'), photo], name }),
  });
  const body = (await res.json()) as { image_id?: string; error?: { code: string } };
  return { status: res.status, id: body.image_id ?? null, code: body.error?.code ?? null };
}

/** Every id is there and is its own best match by its photo. */
async function allThere(url: string, acked: Array<{ id: string; photo: string }>): Promise<string[]> {
  const missing: string[] = [];
  for (const a of acked) {
    if ((await fetch(`${url}/api/images/${a.id}`)).status !== 200) {
      missing.push(`${a.id}: gone`);
    }
  }
  for (const a of acked.slice(0, 10)) {
    const res = await fetch(`${url}/api/search`, {
      method: 'POST',
      body: form({ file: [await fileBlob(join(COCO, a.photo), 'image/jpeg'), a.photo], limit: '50' }),
    });
    const ids = ((await res.json()) as { results: Array<{ image_id: string }> }).results.map((r) => r.image_id);
    if (!ids.includes(a.id)) missing.push(`${a.id}: not found by its photo`);
  }
  return missing;
}

test('disk full during registrations: 507 with a clear error, nothing acknowledged is lost, the database opens after a restart', async () => {
  await ensureModel();
  await using dir = await tempDir();
  const mnt = join(dir.path, 'small');
  await mkdir(mnt);
  const mount = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt]);
  expect(mount.exitCode).toBe(0);
  try {
    const state = join(mnt, 'state');
    const photos = (await readdir(COCO)).filter((f) => f.endsWith('.jpg'));
    const acked: Array<{ id: string; photo: string }> = [];
    const errors = new Map<string, number>();
    {
      await using box = await spawnFovea(state, config);
      // Leave a few MB free, then register until the disk is full.
      const free = statfsSync(mnt).bavail * statfsSync(mnt).bsize;
      await writeFile(join(mnt, 'filler'), new Uint8Array(Math.max(0, free - 6 * 1024 * 1024)));
      for (let i = 0; i < 200 && (errors.get('storage_full') ?? 0) < 5; i++) {
        const photo = photos[i % photos.length]!;
        const r = await register(box.url, photo, `full-${i}`);
        if (r.status === 201) acked.push({ id: r.id!, photo });
        else errors.set(r.code ?? String(r.status), (errors.get(r.code ?? String(r.status)) ?? 0) + 1);
      }
      expect([acked.length, [...errors.keys()]]).toEqual([expect.above(0), ['storage_full']]);
      await box.kill('SIGKILL');
    }
    await rm(join(mnt, 'filler'));
    await using again = await spawnFovea(state, config);
    expect(await allThere(again.url, acked)).toEqual([]);
    expect((await register(again.url, photos[0]!, 'after')).status).toBe(201);
  } finally {
    Bun.spawnSync(['umount', '-l', mnt]);
  }
}, 240_000);

test('the database held by another process: the second start fails saying so; the first keeps serving', async () => {
  await ensureModel();
  await using dir = await tempDir();
  await using first = await spawnFovea(dir.path, config);
  const second = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, '../../appliance/main.ts'),
      'serve',
      '--config',
      join(dir.path, 'fovea.yaml'),
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  );
  const [out, err, code] = [
    await new Response(second.stdout).text(),
    await new Response(second.stderr).text(),
    await second.exited,
  ];
  expect([code, `${out}${err}`]).toEqual([
    1,
    expect.stringContaining('another fovea process holds this database: stop it first'),
  ]);
  expect((await fetch(`${first.url}/health`)).status).toBe(200);
}, 120_000);

test('SIGKILL during a burst of registrations: after a restart every acknowledged image is present and searchable', async () => {
  await ensureModel();
  await using dir = await tempDir();
  const photos = (await readdir(COCO)).filter((f) => f.endsWith('.jpg'));
  const acked: Array<{ id: string; photo: string }> = [];
  {
    await using box = await spawnFovea(dir.path, config);
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const photo = photos[n++ % photos.length]!;
        try {
          const r = await register(box.url, photo, `burst-${n}`);
          if (r.status === 201) acked.push({ id: r.id!, photo });
        } catch {
          return;
        } // the connection died with the process
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    await waitFor(() => acked.length >= 40, 60_000, '40 acknowledged registrations');
    await box.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
  }
  await using again = await spawnFovea(dir.path, config);
  console.log(`SIGKILL burst: ${acked.length} acknowledged before the kill`);
  expect(await allThere(again.url, acked)).toEqual([]);
}, 180_000);
