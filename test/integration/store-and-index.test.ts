import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import { healthApi } from '../../appliance/api/health';
import { Db } from '../../appliance/store/duckdb';
import { migrate, status } from '../../appliance/store/migrate';
import { migrations } from '../../appliance/store/migrations';
import { IMAGES, form, fileBlob, startAppliance, tempDir, waitFor } from '../helpers/fixtures';

describe('migrations', () => {
  test('apply in order once, are recorded, and a second run applies nothing', async () => {
    await using dir = await tempDir();
    const db = await Db.open(join(dir.path, 'm.duckdb'));
    const extra = [
      ...migrations,
      { version: 99, name: 'extra', sql: 'CREATE TABLE extra (x INTEGER);', down: 'DROP TABLE extra;' },
    ];
    const first = await migrate(db, extra);
    const second = await migrate(db, extra);
    const st = (await status(db, extra)).map((m) => [m.version, m.status]);
    db.close();
    const versions = [...migrations.map((m) => m.version), 99];
    expect([first, second, st] as unknown[]).toEqual([versions, [], versions.map((v) => [v, 'applied'])]);
  });

  test('an edited applied migration and an unknown newer one are refused', async () => {
    await using dir = await tempDir();
    const db = await Db.open(join(dir.path, 'm.duckdb'));
    await migrate(db, [
      ...migrations,
      { version: 99, name: 'x', sql: 'CREATE TABLE x (a INT);', down: 'DROP TABLE x;' },
    ]);
    const edited = migrate(db, [
      ...migrations,
      { version: 99, name: 'x', sql: 'CREATE TABLE x (a BIGINT);', down: 'DROP TABLE x;' },
    ]);
    await expect(edited).rejects.toThrow('migration 99 (x) was edited after it was applied');
    await expect(migrate(db, migrations)).rejects.toThrow(
      'database is at migration 99, which this build does not know',
    );
    db.close();
  });

  test('a second process on the same file gets a clear error', async () => {
    await using dir = await tempDir();
    const path = join(dir.path, 'lock.duckdb');
    const db = await Db.open(path);
    const proc = Bun.spawn(
      [
        process.execPath,
        '-e',
        `import { Db } from '${join(import.meta.dir, '../../appliance/store/duckdb')}'; try { await Db.open('${path}'); console.log('opened') } catch (e) { console.log(e.message) }`,
      ],
      { stdout: 'pipe' },
    );
    const out = await new Response(proc.stdout).text();
    db.close();
    expect(out).toContain('another fovea process holds this database');
  });
});

describe('vector index consistency', () => {
  test('a stale or missing index is rebuilt from DuckDB at start and answers the same', async () => {
    await using dir = await tempDir();
    const ids: string[] = [];
    {
      await using app = await startAppliance({}, dir.path);
      for (const f of ['dog.jpg', 'person.jpg']) {
        const res = await app.api('/api/images', {
          method: 'POST',
          body: form({ file: await fileBlob(join(IMAGES, f)) }),
        });
        ids.push(((await res.json()) as { image_id: string }).image_id);
      }
    }
    // Simulate a crash that lost the index file: the sidecar no longer matches.
    await writeFile(
      join(dir.path, 'index', 'mobilenetv2-embed_1.json'),
      JSON.stringify({ count: 1, keySum: '1', dims: 1280 }),
    );
    {
      await using app = await startAppliance({}, dir.path);
      // By its file, the person photo finds itself first (by its id it would be left out of its answer).
      const res = await app.api('/api/search', {
        method: 'POST',
        body: form({ file: await fileBlob(join(IMAGES, 'person.jpg')) }),
      });
      const top = ((await res.json()) as { results: Array<{ image_id: string }> }).results.map((r) => r.image_id);
      expect([
        app.rt.index.lastRebuild?.count,
        app.rt.index.index.size,
        await app.rt.index.consistent(),
        top[0],
      ]).toEqual([2, 2, true, ids[1]]);
    }
    await rm(join(dir.path, 'index'), { recursive: true });
    {
      await using app = await startAppliance({}, dir.path);
      expect([app.rt.index.lastRebuild?.count, await app.rt.index.consistent()]).toEqual([2, true]);
    }
  });

  test('a current index is loaded, not rebuilt; one without its vectors file is rebuilt', async () => {
    await using dir = await tempDir();
    {
      await using app = await startAppliance({}, dir.path);
      await app.api('/api/images', { method: 'POST', body: form({ file: await fileBlob(join(IMAGES, 'dog.jpg')) }) });
    }
    {
      await using app = await startAppliance({}, dir.path);
      expect([app.rt.index.lastRebuild, app.rt.index.index.size]).toEqual([null, 1]);
    }
    // The vectors beside it lost (a restore from a backup, which leaves them out): rebuilt too.
    await rm(join(dir.path, 'index', 'mobilenetv2-embed_1.f32'));
    await using app = await startAppliance({}, dir.path);
    const [row] = (await app.rt.images.list({}, 1, 1)).items;
    expect([app.rt.index.lastRebuild?.count, app.rt.index.vector(BigInt(row!.vec_key))?.length]).toEqual([1, 1280]);
  });
});

describe('health', () => {
  test('is 503 and names the part when the index disagrees with the database', async () => {
    await using app = await startAppliance();
    const ok = await fetch(`${app.url}/health`);
    // The same route on a clock of the test's own, over the same parts: when a look is reused.
    let clock = 0;
    const probe = healthApi(app.rt, () => clock);
    const look = () => probe.handle(new Request('http://fovea/health')).then((r) => r.status);
    const before = await look();
    // A row the index never saw: what a crash between commit and index update leaves.
    await app.rt.db.run(`INSERT INTO images (id, storage_key, thumb_key, size_bytes, mime, width, height, embedding, model_id, created_at, updated_at)
      VALUES (uuid(), 'k', 't', 1, 'image/jpeg', 1, 1, [0.5, 0.5]::FLOAT[], 'mobilenetv2-embed@1', now(), now())`);
    clock = 999;
    const cached = await look();
    clock = 1000;
    const fresh = await look();
    // And over HTTP, once the server's own look is a second old.
    const bad = await waitFor(
      async () => {
        const r = await fetch(`${app.url}/health`);
        if (r.status === 503) return r;
        await r.arrayBuffer();
        return null;
      },
      10_000,
      'health to see the disagreement',
    );
    const body = (await bad.json()) as { status: string; checks: { index: { ok: boolean }; db: { ok: boolean } } };
    expect([ok.status, before, cached, fresh, body.status, body.checks.index.ok, body.checks.db.ok]).toEqual([
      200,
      200,
      200,
      503,
      'degraded',
      false,
      true,
    ]);
  });
});
