import { describe, expect, test } from 'bun:test';
import { Db } from '../../appliance/store/duckdb';
import { migrate } from '../../appliance/store/migrate';
import { type Filters, type ImageRow, getImage, matchesFilters, whereOf } from '../../appliance/store/images';
import { RowCache } from '../../appliance/images/cache';

/** A small deterministic random source (the same cases every run). */
function rng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('the filters in memory and in SQL', () => {
  test('matchesFilters agrees with whereOf on 60 random rows under 300 random filters', async () => {
    const db = await Db.open(':memory:');
    await migrate(db);
    const r = rng(7);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    const day = (d: number) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString();
    for (let i = 0; i < 60; i++) {
      const exif = pick([null, '{"gps":null}', '{"gps":{"lat":1,"lon":2,"alt":null}}', '{"iso":100}']);
      await db.run(
        `INSERT INTO images (id, storage_key, thumb_key, size_bytes, mime, width, height, tags, taken_at, camera_model,
           embedding, model_id, created_at, updated_at, owner, private, exif)
         VALUES (uuid(), 'k', 't', 1, 'image/jpeg', 1, 1, $1, $2::TIMESTAMPTZ, $3, [0.5], 'm', $4::TIMESTAMPTZ, now(), $5, $6, $7::JSON)`,
        [
          [...new Set([pick(['a', 'b', 'c']), pick(['a', 'b', 'c', 'd'])])].slice(0, Math.floor(r() * 3)),
          r() < 0.3 ? null : day(Math.floor(r() * 20)),
          pick([null, 'Canon EOS R5', 'NIKON Z 6', 'canon powershot']),
          day(Math.floor(r() * 20)),
          pick(['u1', 'u2', 'box']),
          r() < 0.4,
          exif,
        ],
      );
    }
    const ids = (await db.all<{ id: string }>('SELECT CAST(id AS VARCHAR) AS id FROM images')).map((x) => x.id);
    const rows = await Promise.all(ids.map(async (id) => (await getImage(db, id)) as ImageRow));
    const maybe = <T>(v: () => T) => (r() < 0.35 ? v() : undefined);
    const wrong: string[] = [];
    for (let i = 0; i < 300; i++) {
      const f: Filters = {
        tags: maybe(() => [pick(['a', 'b', 'c', 'd'])]),
        from: maybe(() => new Date(day(Math.floor(r() * 20)))),
        to: maybe(() => new Date(day(Math.floor(r() * 20)))),
        viewer: maybe(() => ({ user: pick([null, 'u1', 'u2']), admin: r() < 0.2 })),
        owner: maybe(() => pick(['u1', 'box'])),
        private: maybe(() => r() < 0.5),
        ids: maybe(() => ids.filter(() => r() < 0.3)),
        camera: maybe(() => pick(['canon', 'NIK', 'z 6', 'sony'])),
        takenFrom: maybe(() => new Date(day(Math.floor(r() * 20)))),
        takenTo: maybe(() => new Date(day(Math.floor(r() * 20)))),
        hasGps: maybe(() => r() < 0.5),
        withoutTags: maybe(() => [pick(['a', 'b', 'c', 'd'])]),
        notIds: maybe(() => ids.filter(() => r() < 0.3)),
      };
      for (const k of Object.keys(f) as Array<keyof Filters>) if (f[k] === undefined) delete f[k];
      const w = whereOf(f, 1);
      const sql = (
        await db.all<{ id: string }>(`SELECT CAST(id AS VARCHAR) AS id FROM images WHERE ${w.sql}`, w.params)
      )
        .map((x) => x.id)
        .sort();
      const js = rows
        .filter((x) => matchesFilters(x, f))
        .map((x) => x.id)
        .sort();
      if (JSON.stringify(sql) !== JSON.stringify(js))
        wrong.push(`${JSON.stringify(f)}: sql ${sql.length}, js ${js.length}`);
    }
    db.close();
    expect(wrong).toEqual([]);
  });
});

describe('RowCache', () => {
  const row = (n: number) => ({ id: `i${n}`, vec_key: BigInt(n) }) as ImageRow;
  test('holds the most recently used, by id and by key; a dropped row is gone from both', () => {
    const c = new RowCache(3);
    for (const n of [1, 2, 3]) c.put(row(n));
    c.get('i1');
    c.put(row(4));
    const { rows, missing } = c.byKeys([1n, 2n, 3n, 4n]);
    c.drop('i3');
    expect([rows.map((x) => x.id), missing, c.get('i3'), c.byKeys([3n]).missing, c.size]).toEqual([
      ['i1', 'i3', 'i4'],
      [2n],
      undefined,
      [3n],
      2,
    ]);
  });
});
