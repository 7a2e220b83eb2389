import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import sharp from 'sharp';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { COCO, IMAGES, fileBlob, form, startAppliance, type Appliance } from '../helpers/fixtures';
import { type Filters, imagesByKeys, matchesFilters } from '../../appliance/store/images';

let app: Appliance;
const ids: Record<string, string> = {};

async function register(path: string, fields: Record<string, string> = {}): Promise<Response> {
  return app.api('/api/images', {
    method: 'POST',
    body: form({ file: [await fileBlob(path), path.split('/').pop()!], ...fields }),
  });
}

beforeAll(async () => {
  app = await startAppliance();
  const coco = readdirSync(COCO).sort().slice(0, 12);
  for (const [i, f] of coco.entries()) {
    const res = await register(join(COCO, f), { name: f, tags: i % 2 === 0 ? 'coco,even' : 'coco,odd' });
    expect(res.status).toBe(201);
    ids[f] = ((await res.json()) as { image_id: string }).image_id;
  }
  const dog = await register(join(IMAGES, 'dog.jpg'), {
    name: 'dog',
    description: 'a dog, a bicycle and a car',
    tags: 'animal',
  });
  ids.dog = ((await dog.json()) as { image_id: string }).image_id;
});
afterAll(async () => {
  await app[Symbol.asyncDispose]();
});

describe('POST /api/images', () => {
  test('returns the stored record with EXIF, sizes and links that serve the files', async () => {
    const res = await app.api(`/api/images/${ids.dog}`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      image_id: ids.dog,
      name: 'dog',
      description: 'a dog, a bicycle and a car',
      tags: ['animal'],
      mime: 'image/jpeg',
      width: 768,
      height: 576,
      size_bytes: 163759,
      camera_model: 'Canon Canon PowerShot S95',
      taken_at: '2014-09-19T16:08:30.000Z',
    });
    const file = await app.api(new URL(body.image_url as string).pathname);
    expect(file.headers.get('content-type')).toBe('image/jpeg');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(
      new Uint8Array(await Bun.file(join(IMAGES, 'dog.jpg')).arrayBuffer()),
    );
    const thumb = await app.api(new URL(body.thumbnail_url as string).pathname);
    const meta = await sharp(new Uint8Array(await thumb.arrayBuffer())).metadata();
    expect([meta.format, Math.max(meta.width!, meta.height!)]).toEqual(['jpeg', 256]);
  });
});

describe('GET /api/images', () => {
  test('pages newest first and counts the total', async () => {
    const p1 = (await (await app.api('/api/images?page=1&limit=5')).json()) as {
      items: Array<{ image_id: string }>;
      total: number;
      page: number;
      limit: number;
    };
    const p3 = (await (await app.api('/api/images?page=3&limit=5')).json()) as {
      items: Array<{ image_id: string }>;
      total: number;
    };
    expect([p1.total, p1.page, p1.limit, p1.items.length, p3.items.length]).toEqual([13, 1, 5, 5, 3]);
    expect(p1.items[0]!.image_id).toBe(ids.dog!);
  });

  test('filters by tag and by date', async () => {
    const even = (await (await app.api('/api/images?tag=even&limit=100')).json()) as { total: number };
    const future = (await (await app.api('/api/images?from=2999-01-01T00:00:00Z')).json()) as { total: number };
    const past = (await (await app.api('/api/images?to=2000-01-01')).json()) as { total: number };
    const all = (await (await app.api('/api/images?from=2000-01-01')).json()) as { total: number };
    expect([even.total, future.total, past.total, all.total]).toEqual([6, 0, 0, 13]);
  });

  test('rejects a bad date and an out-of-range limit with 422', async () => {
    const bad = await app.api('/api/images?from=yesterday');
    const big = await app.api('/api/images?limit=1000');
    expect([bad.status, big.status]).toEqual([422, 422]);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
  });
});

describe('POST /api/search', () => {
  test('an image finds itself first with similarity ~1 (by file)', async () => {
    const res = await app.api('/api/search', {
      method: 'POST',
      body: form({ file: await fileBlob(join(IMAGES, 'dog.jpg')), limit: '3' }),
    });
    const { results } = (await res.json()) as {
      results: Array<{ image_id: string; similarity_score: number; metadata: { name: string } }>;
    };
    expect(results.length).toBe(3);
    expect(results[0]!.image_id).toBe(ids.dog!);
    expect(results[0]!.similarity_score).toBeGreaterThan(0.999);
    expect(results[1]!.similarity_score).toBeLessThan(results[0]!.similarity_score);
  });

  test('by image_id (JSON) the image itself is left out, and the order is by score', async () => {
    const first = readdirSync(COCO).sort()[0]!;
    const res = await app.api('/api/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image_id: ids[first], limit: 5 }),
    });
    const { results } = (await res.json()) as { results: Array<{ image_id: string; similarity_score: number }> };
    expect([results.length, results.some((r) => r.image_id === ids[first])]).toEqual([5, false]);
    const scores = results.map((r) => r.similarity_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  test('a cropped, rescaled copy of every registered photo finds its original first', async () => {
    const coco = readdirSync(COCO).sort().slice(0, 12);
    const found: string[] = [];
    for (const f of coco) {
      const img = sharp(join(COCO, f));
      const { width, height } = await img.metadata();
      const crop = await sharp(join(COCO, f))
        .extract({
          left: Math.round(width! * 0.1),
          top: Math.round(height! * 0.1),
          width: Math.round(width! * 0.8),
          height: Math.round(height! * 0.8),
        })
        .resize(Math.round(width! * 0.5))
        .jpeg({ quality: 70 })
        .toBuffer();
      const res = await app.api('/api/search', { method: 'POST', body: form({ file: new Blob([crop]), limit: '1' }) });
      found.push(((await res.json()) as { results: Array<{ image_id: string }> }).results[0]!.image_id);
    }
    expect(found).toEqual(coco.map((f) => ids[f]!));
  });

  test('threshold and tag filters restrict the results', async () => {
    const body = (o: object) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image_id: ids.dog, ...o }),
    });
    // By its file: the dog finds itself at ~1 and nothing else is that close.
    const strict = (await (
      await app.api('/api/search', {
        method: 'POST',
        body: form({ file: await fileBlob(join(IMAGES, 'dog.jpg')), threshold: '0.99' }),
      })
    ).json()) as {
      results: Array<{ image_id: string }>;
    };
    const odd = (await (await app.api('/api/search', body({ tags: ['odd'], limit: 100 }))).json()) as {
      results: Array<{ metadata: { tags: string[] } }>;
    };
    expect(strict.results.map((r) => r.image_id)).toEqual([ids.dog!]);
    expect(odd.results.length).toBe(6);
    expect(odd.results.filter((r) => !r.metadata.tags.includes('odd'))).toEqual([]);
  });

  test('the HNSW index and exact DuckDB search agree on the top results', async () => {
    const viaIndex = await app.rt.images.search(
      { kind: 'id', id: ids.dog! },
      { limit: 10, threshold: -1, filters: {}, exactBelow: 0 },
    );
    const exact = await app.rt.images.search(
      { kind: 'id', id: ids.dog! },
      { limit: 10, threshold: -1, filters: {}, exactBelow: 1_000_000 },
    );
    expect(viaIndex.length).toBe(10);
    expect(viaIndex.map((s) => s.row.id)).toEqual(exact.map((s) => s.row.id));
  });

  test('an exact search in memory (vectors beside the index) ranks as DuckDB does, with and without filters', async () => {
    const dog = await app.rt.images.get(ids.dog!);
    const q = app.rt.index.vector(BigInt(dog.vec_key))!;
    const rows = async (keys: bigint[], f: Filters) =>
      (await imagesByKeys(app.rt.db, keys, {})).filter((r) => matchesFilters(r, f));
    const both = async (filters: Filters, limit: number) => {
      const o = { limit, threshold: -1, filters, exactBelow: 1_000_000 };
      const [mem, duck] = [await app.rt.index.search(q, { ...o, rows }), await app.rt.index.search(q, o)];
      return [mem.map((s) => [s.row.id, s.score.toFixed(5)]), duck.map((s) => [s.row.id, s.score.toFixed(5)])];
    };
    const cases: Array<[Filters, number]> = [
      [{}, 10],
      [{ tags: ['odd'] }, 100],
      [{ viewer: { user: 'nobody', admin: false } }, 5],
    ];
    for (const [f, limit] of cases) {
      const [mem, duck] = await both(f, limit);
      expect(mem!.length).toBeGreaterThan(0);
      expect(mem).toEqual(duck);
    }
    // The query of a search by id is the vector stored beside the index, the one DuckDB holds.
    const stored = await app.rt.db.all<{ e: number[] }>('SELECT embedding AS e FROM images WHERE id = $1::UUID', [
      ids.dog!,
    ]);
    expect([...q].map((x) => x.toFixed(6))).toEqual([...stored[0]!.e].map((x) => x.toFixed(6)));
  });
});

describe('DELETE /api/images/:id', () => {
  test('removes the row, the vector and the files; a second delete is 404', async () => {
    const res = await register(join(IMAGES, 'person.jpg'), { name: 'to delete' });
    const { image_id } = (await res.json()) as { image_id: string };
    const before = app.rt.index.index.size;
    const row = await app.rt.images.get(image_id);
    expect((await app.api(`/api/images/${image_id}`, { method: 'DELETE' })).status).toBe(204);
    expect([
      (await app.api(`/api/images/${image_id}`)).status,
      (await app.api(`/api/images/${image_id}/file`)).status,
      (await app.api(`/api/images/${image_id}`, { method: 'DELETE' })).status,
      app.rt.index.index.size,
      await app.rt.objects.has(row.storage_key),
      await app.rt.objects.has(row.thumb_key),
      await app.rt.index.consistent(),
    ]).toEqual([404, 404, 404, before - 1, false, false, true]);
  });

  test('an unknown or malformed id is 404', async () => {
    const a = await app.api('/api/images/00000000-0000-0000-0000-000000000000', { method: 'DELETE' });
    const b = await app.api('/api/images/not-a-uuid');
    expect([a.status, b.status]).toEqual([404, 404]);
  });
});

describe('GET /health and the API document', () => {
  test('health is open and reports every part', async () => {
    const res = await fetch(`${app.url}/health`);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect([
      res.status,
      body.status,
      Object.keys(body.checks).sort(),
      Object.values(body.checks).every((c) => c.ok),
    ]).toEqual([200, 'ok', ['db', 'index', 'models', 'storage'], true]);
  });

  test('/openapi.json lists the routes', async () => {
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/images/', '/api/images/{id}', '/api/search', '/health']),
    );
  });
});
