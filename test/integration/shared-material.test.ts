/**
 * Tests on a clone without the shared folder: what they read is fetched from its pinned upstream,
 * checked by sha256. A local HTTP server stands in for raw.githubusercontent.com, serving the real
 * files by their upstream paths (one of them tampered with, one missing), so the loader runs as it
 * would against the real host.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED, tempDir } from '../helpers/fixtures';
import { fillShared, SHARED_FILES, type SharedFile } from '../helpers/shared';

const TAMPERED = 'media/images/coco/000000000285.jpg';
const GONE = 'media/images/coco/000000000632.jpg';
let server: ReturnType<typeof Bun.serve>;
let upstream: string;
const served: string[] = [];

beforeAll(() => {
  const byPath = new Map(
    SHARED_FILES.filter((f) => f.url).map((f) => [new URL(f.url!).pathname, f] as [string, SharedFile]),
  );
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const f = byPath.get(new URL(req.url).pathname);
      if (!f || f.path === GONE) return new Response('not found', { status: 404 });
      served.push(f.path);
      const data = await Bun.file(join(SHARED, f.path)).bytes();
      if (f.path === TAMPERED) data[data.length - 3] = (data[data.length - 3]! + 1) % 256;
      return new Response(data);
    },
  });
  upstream = `http://127.0.0.1:${server.port}`;
});

afterAll(() => {
  server?.stop(true);
});

const pick = (...paths: string[]) => SHARED_FILES.filter((f) => paths.includes(f.path));

describe('shared material from its pinned upstream', () => {
  test('what is missing is downloaded and verified; a tampered, a missing and an unpinned file are named with why', async () => {
    await using dir = await tempDir();
    const files = pick(
      'models/coco_classes.txt',
      'media/images/coco/000000000139.jpg',
      'media/videos/bottle-detection.mp4',
      TAMPERED,
      GONE,
      'media/images/dog.jpg',
    );
    const first = await fillShared(dir.path, files, { from: null, upstream });
    expect({
      downloaded: first.downloaded.sort(),
      copied: first.copied,
      unavailable: first.unavailable.map((u) => [u.path, u.why.replace(upstream, 'UPSTREAM')]),
    }).toEqual({
      downloaded: [
        'media/images/coco/000000000139.jpg',
        'media/videos/bottle-detection.mp4',
        'models/coco_classes.txt',
      ],
      copied: [],
      unavailable: [
        ['media/images/dog.jpg', 'no pinned upstream: only a shared copy has it'],
        [TAMPERED, expect.stringMatching(/^UPSTREAM\/Kazuhito00\/.*000000000285\.jpg: sha256 [0-9a-f]{64}, expected/)],
        [GONE, expect.stringMatching(/000000000632\.jpg: HTTP 404$/)],
      ],
    });
    // Nothing unverified is left behind, and the downloaded files are the shared ones, byte for byte.
    expect(existsSync(join(dir.path, TAMPERED))).toBe(false);
    expect(readdirSync(join(dir.path, 'media/images/coco')).sort()).toEqual(['000000000139.jpg']);
    for (const p of first.downloaded)
      expect(Buffer.compare(await Bun.file(join(dir.path, p)).bytes(), await Bun.file(join(SHARED, p)).bytes())).toBe(
        0,
      );
    // Run again: what is in place and verified is kept; a shared copy is preferred to a download.
    const before = served.length;
    const second = await fillShared(dir.path, files, { from: SHARED, upstream });
    expect([second.downloaded, second.copied.sort(), served.length - before]).toEqual([
      [],
      ['media/images/coco/000000000285.jpg', 'media/images/coco/000000000632.jpg', 'media/images/dog.jpg'],
      0,
    ]);
  });

  test('the fixtures on a clone without ../shared: the cache is filled from upstream, and says what could not be had', async () => {
    await using cache = await tempDir('fovea-shared-cache-');
    const p = Bun.spawn(
      [
        process.execPath,
        '-e',
        "const f = await import('./test/helpers/fixtures.ts'); console.log('SHARED=' + f.SHARED)",
      ],
      {
        cwd: join(import.meta.dir, '../..'),
        env: {
          ...process.env,
          FOVEA_SHARED: '/nonexistent/shared',
          FOVEA_SHARED_CACHE: cache.path,
          FOVEA_TEST_UPSTREAM: upstream,
        },
        stdout: 'pipe',
        stderr: 'pipe',
      },
    );
    const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
    expect(await p.exited).toBe(0);
    expect(out.trim()).toBe(`SHARED=${cache.path}`);
    const pinned = SHARED_FILES.filter((f) => f.url && f.path !== GONE);
    expect(pinned.filter((f) => !existsSync(join(cache.path, f.path))).map((f) => f.path)).toEqual([TAMPERED]);
    expect(err).toContain(`${SHARED_FILES.filter((f) => !f.url).length + 2} files could not be had`);
    expect(err).toContain('media/images/dog.jpg: no pinned upstream');
  }, 120_000);
});
