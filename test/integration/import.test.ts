/**
 * `fovea images import` as a person runs it, a separate process each time: into a stopped box (its
 * library opened by the command, then served by the box), and into a running one through the API
 * with a key granted images:import past a per-minute limit that would hold a plain key back. An
 * import killed halfway and run again ends with each photo once; bad files are refused with why.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFile, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { COCO, MODELS_DIR, ensureModel, startAppliance, tempDir, waitFor, type Appliance } from '../helpers/fixtures';
import { foveaCli } from '../helpers/process';
import { apiTarget } from '../../appliance/cli/import-targets';
import { Refused } from '../../appliance/images/import';

const main = join(import.meta.dir, '../../appliance/main.ts');
const PHOTOS = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).sort();

let dir: { path: string } & AsyncDisposable;
/** photos/: 24 photos, 6 of them in sub/, a text file, a GIF named .png, a hidden photo, a link back up. */
let photos: string;

beforeAll(async () => {
  await ensureModel();
  dir = await tempDir();
  photos = join(dir.path, 'photos');
  await mkdir(join(photos, 'sub'), { recursive: true });
  for (const [i, f] of PHOTOS.slice(0, 24).entries())
    await copyFile(join(COCO, f), join(photos, i < 18 ? f : join('sub', f)));
  await copyFile(join(COCO, PHOTOS[30]!), join(photos, '.hidden.jpg'));
  await writeFile(join(photos, 'notes.txt'), 'not a photo');
  await writeFile(join(photos, 'anim.png'), 'GIF89a\x01\x00\x01\x00');
  await symlink(photos, join(photos, 'sub', 'loop'));
});

afterAll(async () => {
  await dir?.[Symbol.asyncDispose]();
});

/** The summary's first line, without its size and time. */
const head = (out: string) =>
  (out.split('\n').find((l) => l.startsWith('imported')) ?? out)
    .replace(/\(\d+\.\d MB\)/, '(…)')
    .replace(/, in \d.*$/, '');

const cli = (args: string[], env: Record<string, string> = {}) =>
  foveaCli(['images', 'import', ...args], { FOVEA_LOG_LEVEL: 'warn', ...env });

describe('fovea images import', () => {
  test('into a stopped box: photos stored, embedded and indexed as the API would; the second run skips them all', async () => {
    await using state = await tempDir();
    const config = join(state.path, 'fovea.yaml');
    await Bun.write(
      config,
      stringify({ state_dir: state.path, models: { dir: MODELS_DIR, providers: ['cpu'] }, log: { level: 'warn' } }),
    );
    const first = await cli([photos, '--recursive', '--tags', 'trip,2026', '--config', config]);
    const again = await cli([photos, '--recursive', '--config', config]);
    const flat = await cli([photos, join(photos, 'sub', PHOTOS[20]!), '--config', config]);
    expect({
      first: [first.code, head(first.out)],
      refused: first.out.includes('anim.png: unsupported_media_type: the file is not a JPEG, PNG or WebP image'),
      ignored: first.out.includes('ignored 1 files'),
      again: head(again.out),
      flat: head(flat.out),
    }).toEqual({
      first: [1, 'imported 24 (…), skipped 0, refused 1'],
      refused: true,
      ignored: true,
      again: 'imported 0 (…), skipped 24 (24 already in the library), refused 1',
      flat: 'imported 0 (…), skipped 19 (19 already in the library), refused 1',
    });
    // The box started on that state serves them: listed with their tags, found by search.
    await using box = await startAppliance({}, state.path);
    const list = (await (await box.api('/api/images?limit=100')).json()) as {
      total: number;
      items: Array<{ tags: string[]; owner: string; file_name: string; image_id: string }>;
    };
    const q = new FormData();
    q.append('file', new File([await Bun.file(join(COCO, PHOTOS[3]!)).bytes()], 'q.jpg'));
    const hits = (await (await box.api('/api/search', { method: 'POST', body: q })).json()) as {
      results: Array<{ image_id: string }>;
    };
    const mine = list.items.find((i) => i.file_name === PHOTOS[3]);
    expect({
      total: list.total,
      tags: [...new Set(list.items.map((i) => i.tags.join(',')))],
      owners: [...new Set(list.items.map((i) => i.owner))],
      top: hits.results[0]?.image_id,
    }).toEqual({ total: 24, tags: ['trip,2026'], owners: ['box'], top: mine?.image_id });
  }, 120_000);

  describe('into a running box', () => {
    let app: Appliance;
    const keys: Record<string, string> = {};
    beforeAll(async () => {
      // Ten requests a minute: a plain key would crawl; a key granted images:import is not held to it.
      app = await startAppliance({ api: { rate_limit_per_minute: 10 } });
      const ann = await app.rt.users.create('ann', 'operator', null);
      await app.rt.users.create('bob', 'operator', null);
      keys.bulk = await app.rt.keys.create('bulk', { scopes: ['images:read', 'images:write', 'images:import'] });
      keys.ann = await app.rt.keys.create('ann', { user_id: ann.id, scopes: ['images:read', 'images:write'] });
    }, 60_000);
    afterAll(async () => {
      await app?.[Symbol.asyncDispose]();
    });

    test('an admin key granted images:import imports past the limit, for a user named with --owner', async () => {
      const r = await cli([photos, '--recursive', '--owner', 'ann', '--private', '--url', app.url, '--jobs', '4'], {
        FOVEA_TOKEN: keys.bulk!,
      });
      const ann = app.rt.users.byName('ann')!.id;
      const rows = await app.rt.db.all<{ n: bigint; owners: string[]; private: boolean[] }>(
        'SELECT count(*) AS n, list_distinct(list(owner)) AS owners, list_distinct(list(private)) AS private FROM images',
      );
      expect({
        code: r.code,
        line: head(r.out),
        throttled: r.err.includes('limits'),
        rows: rows.map((x) => [Number(x.n), [...x.owners], [...x.private]]),
      }).toEqual({
        code: 1,
        line: 'imported 24 (…), skipped 0, refused 1',
        throttled: false,
        rows: [[24, [ann], [true]]],
      });
      // Someone else's library is not a plain user's to fill; nothing is stored.
      const other = await cli([photos, '--owner', 'bob', '--url', app.url], { FOVEA_TOKEN: keys.ann! });
      const wrong = await cli([photos, '--url', app.url], { FOVEA_TOKEN: 'fov_nope' });
      expect([
        other.code,
        other.err.trim().split('\n').pop(),
        wrong.code,
        wrong.err.includes('the box refused the key (401)'),
      ]).toEqual([
        1,
        'fovea images: the box refused the key (403): only an admin registers images for someone else (the key goes in FOVEA_TOKEN)',
        1,
        true,
      ]);
      // The limit is real: a plain key is refused within eleven requests of a minute (last: it drains
      // the address's budget too, which a plain key's import would then wait for).
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++)
        statuses.push((await fetch(`${app.url}/api/images`, { headers: { 'x-api-key': keys.ann! } })).status);
      expect(statuses).toContain(429);
    }, 120_000);

    test('killed halfway and run again: each photo once', async () => {
      await using big = await tempDir();
      for (const f of PHOTOS.slice(40, 100)) await copyFile(join(COCO, f), join(big.path, f));
      const count = async () =>
        Number(
          (await app.rt.db.all<{ n: bigint }>("SELECT count(*) AS n FROM images WHERE list_contains(tags, 'big')"))[0]!
            .n,
        );
      const p = Bun.spawn(
        [process.execPath, main, 'images', 'import', big.path, '--tags', 'big', '--url', app.url, '--jobs', '1'],
        {
          env: { ...process.env, FOVEA_TOKEN: keys.bulk!, FOVEA_LOG_LEVEL: 'warn' },
          stdout: 'ignore',
          stderr: 'ignore',
        },
      );
      await waitFor(async () => (await count()) >= 10, 60_000, 'ten photos in');
      p.kill('SIGKILL');
      await p.exited;
      const stopped = await count();
      const rest = await cli([big.path, '--tags', 'big', '--url', app.url], { FOVEA_TOKEN: keys.bulk! });
      const line = /imported (\d+) .*skipped (\d+)/.exec(rest.out)!;
      const hashes = await app.rt.db.all<{ n: bigint; d: bigint }>(
        "SELECT count(*) AS n, count(DISTINCT sha256) AS d FROM images WHERE list_contains(tags, 'big')",
      );
      expect({
        code: rest.code,
        sum: Number(line[1]) + Number(line[2]),
        skipped: Number(line[2]) >= stopped,
        rows: hashes.map((h) => [Number(h.n), Number(h.d)]),
      }).toEqual({ code: 0, sum: 60, skipped: true, rows: [[60, 60]] });
    }, 120_000);
  });

  test('bad input: a missing path, no path, a bad --jobs; nothing is imported', async () => {
    const runs = [await cli([join(dir.path, 'nope'), photos]), await cli([]), await cli([photos, '--jobs', 'many'])];
    expect(runs.map((r) => [r.code, r.err.split('\n')[0]])).toEqual([
      [2, `fovea images: no such file or folder: ${join(dir.path, 'nope')}`],
      [2, 'fovea images: Usage: fovea images import PATH... [--recursive] [--tags a,b] [--private] [--owner NAME]'],
      [2, 'fovea images: --jobs: a whole number from 1 to 64'],
    ]);
  });
});

describe('the API target', () => {
  test('a throttled box is waited for (its Retry-After), a refusal names the file’s reason, an unreachable box stops the import', async () => {
    const seen: string[] = [];
    let puts = 0;
    using server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(req) {
        seen.push(`${req.method} ${new URL(req.url).pathname}`);
        if (++puts === 1)
          return Response.json(
            { error: { code: 'rate_limited', message: 'slow' } },
            { status: 429, headers: { 'retry-after': '1' } },
          );
        if (puts === 2) return Response.json({ image_id: 'x' }, { status: 201 });
        return Response.json({ error: { code: 'quota_exceeded', message: 'over quota' } }, { status: 413 });
      },
    });
    const notices: string[] = [];
    const waits: number[] = [];
    const target = apiTarget(
      {
        url: `http://127.0.0.1:${server.port}`,
        token: 'k',
        notice: (t) => notices.push(t),
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
      { tags: [], private: false },
    );
    const data = new Uint8Array([1, 2, 3]);
    await target.put({ data, fileName: 'a.jpg' });
    const refused = await target.put({ data, fileName: 'b.jpg' }).catch((e: unknown) => e);
    expect([seen.length, waits, notices.length, refused instanceof Refused && [refused.code, refused.message]]).toEqual(
      [3, [1000], 1, ['quota_exceeded', 'over quota']],
    );
    server.stop(true);
    const gone = apiTarget(
      { url: `http://127.0.0.1:${server.port}`, token: null, notice: () => {}, sleep: async () => {}, tries: 3 },
      { tags: [], private: false },
    );
    const err = (await gone.put({ data, fileName: 'c.jpg' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/cannot be reached .*run the same command again to go on/);
  });
});
