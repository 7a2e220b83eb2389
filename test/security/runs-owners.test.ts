/**
 * What a run makes carries its input's owner and privacy, on a real appliance with auth on: runs
 * over a private photo and their files, logs and registered outputs; resubmit over a photo made
 * private since; idempotency keys per owner under a race; quotas charged to the run's owner; two
 * DELETEs at once; clip paths that tell nothing of the box's files; clips that cannot be read or
 * vanished; public analytics of streams only; bulk filters with a misspelt key.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COCO, startAppliance, tempDir, VIDEOS, waitFor, type Appliance } from '../helpers/fixtures';
import { record } from '../helpers/ws';

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field and compared whole
type Json = Record<string, any>;
let app: Appliance;
let clips: { path: string } & AsyncDisposable;
const keys: Record<string, string> = {};
const PHOTO = '000000000139.jpg';

beforeAll(async () => {
  clips = await tempDir('fovea-clips-');
  app = await startAppliance({
    api: { auth: true, rate_limit_per_minute: 1_000_000 },
    analytics: { public: true },
    runs: { video_dirs: [clips.path] },
  });
  for (const [name, role] of [
    ['ann', 'operator'],
    ['bob', 'viewer'],
    ['carl', 'operator'],
    ['dave', 'operator'],
  ] as const) {
    const u = await app.rt.users.create(name, role, null);
    keys[name] = await app.rt.keys.create(`${name}-key`, { user_id: u.id });
  }
  await mkdir(app.rt.paths.pipelines, { recursive: true });
  await writeFile(
    join(app.rt.paths.pipelines, 'annotate.yaml'),
    'stages:\n  detect:\n    type: detect@1\n  draw:\n    type: annotate@1\n    needs: [detect]\n',
  );
}, 120_000);

afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
  await clips?.[Symbol.asyncDispose]();
});

const as = (who: string, path: string, init: RequestInit = {}) =>
  fetch(app.url + path, { ...init, headers: { 'x-api-key': keys[who]!, ...(init.headers as object) } });
const json = (body: object) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function upload(who: string, isPrivate: boolean, name = PHOTO): Promise<string> {
  const f = new FormData();
  f.append('file', new File([await Bun.file(join(COCO, name)).bytes()], name));
  f.append('private', String(isPrivate));
  const r = await as(who, '/api/images', { method: 'POST', body: f });
  expect(r.status).toBe(201);
  return ((await r.json()) as { image_id: string }).image_id;
}

const FINISHED = ['succeeded', 'failed', 'partially_failed', 'canceled'];
async function finished(who: string, id: string, ms = 60_000): Promise<Json> {
  return waitFor(
    async () => {
      const r = (await (await as(who, `/api/runs/${id}`)).json()) as Json;
      return FINISHED.includes(r.status) ? r : null;
    },
    ms,
    `run ${id} to finish`,
  );
}

describe('runs carry their owner and privacy', () => {
  test('a run over a private photo: its view, files, log, outputs, events and progress are its owner’s alone', async () => {
    const photo = await upload('ann', true);
    const socket = (who: string) =>
      record(`${app.url.replace(/^http/, 'ws')}/ws/analysis`, { protocols: ['json', `bearer.${keys[who]}`] });
    const annWs = await socket('ann');
    const bobWs = await socket('bob');
    const res = await as(
      'ann',
      '/api/runs',
      json({ pipeline: 'annotate', inputs: [{ image_id: photo }], register_outputs: ['annotated', 'crops'] }),
    );
    const accepted = (await res.json()) as Json;
    expect([res.status, accepted.private]).toEqual([202, true]);
    const run = await finished('ann', accepted.run_id);
    const item = run.items[0];
    expect(item.status).toBe('succeeded');
    // Progress over the WebSocket: to its owner, not to another viewer; its events likewise.
    const about = (ms: Array<{ payload: { run_id?: string; stream?: string } }>) =>
      ms.filter((m) => m.payload.run_id === run.run_id || m.payload.stream === `run:${run.run_id}`).length;
    await waitFor(() => about(annWs.messages) > 0, 10_000, 'ann to see her run’s progress');
    const events = async (who: string) =>
      ((await (await as(who, `/api/events?stream=run:${run.run_id}`)).json()) as Json).total;
    expect([about(bobWs.messages), await events('bob')]).toEqual([0, 0]);
    expect(await events('ann')).toBeGreaterThan(0);
    annWs.ws.close();
    bobWs.ws.close();
    const file = item.output.outputs.draw.file as string;
    const registered = item.output.registered as string[];
    expect(registered.length).toBeGreaterThan(1);
    const paths = [
      `/api/runs/${run.run_id}`,
      `/api/runs/${run.run_id}/log`,
      `/api/runs/${run.run_id}/files/${file}`,
      ...registered.map((id) => `/api/images/${id}`),
      ...registered.map((id) => `/api/images/${id}/file`),
    ];
    const statuses = async (who: string) => Promise.all(paths.map(async (p) => (await as(who, p)).status));
    expect(await statuses('bob')).toEqual(paths.map(() => 404));
    expect(await statuses('carl')).toEqual(paths.map(() => 404));
    expect(await statuses('ann')).toEqual(paths.map(() => 200));
    // Listed for no one else; the outputs are ann's, private, and not named after her photo's id.
    const listed = async (who: string) =>
      ((await (await as(who, '/api/runs?limit=100')).json()) as Json).items.map((r: Json) => r.run_id);
    expect((await listed('bob')).includes(run.run_id)).toBe(false);
    expect((await listed('ann')).includes(run.run_id)).toBe(true);
    const outputs = await Promise.all(
      registered.map(async (id) => (await (await as('ann', `/api/images/${id}`)).json()) as Json),
    );
    const ann = app.rt.users.byName('ann')!;
    expect(outputs.map((o) => [o.owner, o.private, JSON.stringify(o).includes(photo)])).toEqual(
      outputs.map(() => [ann.id, true, false]),
    );
    const bobImages = ((await (await as('bob', '/api/images?limit=100')).json()) as Json).items.map(
      (i: Json) => i.image_id,
    );
    expect(registered.filter((id) => bobImages.includes(id))).toEqual([]);
    // Nor can bob act on it: cancel, retry, resubmit and delete answer as for no such run.
    const acts = await Promise.all(
      ['cancel', 'retry', 'resubmit'].map(
        async (a) => (await as('carl', `/api/runs/${run.run_id}/${a}`, json({}))).status,
      ),
    );
    expect([...acts, (await as('carl', `/api/runs/${run.run_id}`, { method: 'DELETE' })).status]).toEqual([
      404, 404, 404, 404,
    ]);
  });

  test('resubmit checks the caller against every input: a photo made private since is refused', async () => {
    const photo = await upload('ann', false);
    const res = (await (
      await as('ann', '/api/runs', json({ pipeline: 'objects', inputs: [{ image_id: photo }] }))
    ).json()) as Json;
    expect(res.private).toBe(false);
    await finished('ann', res.run_id);
    const ok = await as('carl', `/api/runs/${res.run_id}/resubmit`, json({}));
    expect(ok.status).toBe(202);
    const patched = await as('ann', `/api/images/${photo}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ private: true }),
    });
    expect(patched.status).toBe(200);
    const refused = await as('carl', `/api/runs/${res.run_id}/resubmit`, json({}));
    const body = (await refused.json()) as Json;
    expect([refused.status, body.error.details.unknown_image_ids]).toEqual([422, [photo]]);
  });

  test('an idempotency key is one run per owner, even sent eight times at once', async () => {
    const spec = { pipeline: 'objects', inputs: [], idempotency_key: 'race-1' };
    const f = () => {
      const form = new FormData();
      form.append('spec', JSON.stringify(spec));
      form.append('files', new File([Bun.file(join(COCO, PHOTO))], PHOTO));
      return form;
    };
    const answers = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const r = await as('ann', '/api/runs', { method: 'POST', body: f() });
        const b = (await r.json()) as Json;
        return [r.status, b.run_id, b.created];
      }),
    );
    const ids = new Set(answers.map((a) => a[1]));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a[2] === true).length).toBe(1);
    expect(answers.map((a) => a[0]).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 202]);
    // carl replaying ann's key and spec gets a run of his own, not hers.
    const carl = (await (await as('carl', '/api/runs', { method: 'POST', body: f() })).json()) as Json;
    expect([carl.created, ids.has(carl.run_id)]).toEqual([true, false]);
  });

  test('quotas are charged to the run’s owner: uploads and registered outputs alike', async () => {
    const bytes = (await Bun.file(join(COCO, PHOTO)).bytes()).length;
    await app.rt.users.setQuota('dave', bytes + 1000);
    // Two photos in one run pass the quota: refused before anything is stored.
    const form = new FormData();
    form.append('spec', JSON.stringify({ pipeline: 'objects' }));
    for (let i = 0; i < 2; i++) form.append('files', new File([Bun.file(join(COCO, PHOTO))], `p${i}.jpg`));
    const over = await as('dave', '/api/runs', { method: 'POST', body: form });
    expect([over.status, ((await over.json()) as Json).error.code]).toEqual([413, 'quota_exceeded']);
    // One photo fits; its registered crops then do not, and the item says why.
    const one = new FormData();
    one.append('spec', JSON.stringify({ pipeline: 'annotate', register_outputs: ['crops'] }));
    one.append('files', new File([Bun.file(join(COCO, PHOTO))], PHOTO));
    const res = (await (await as('dave', '/api/runs', { method: 'POST', body: one })).json()) as Json;
    const run = await finished('dave', res.run_id);
    expect([run.status, run.items[0].error]).toEqual(['failed', expect.stringContaining('quota')]);
    const usage = ((await (await as('dave', '/api/auth/me')).json()) as Json).library;
    expect(usage.used_bytes).toBeLessThanOrEqual(bytes + 1000);
    expect(usage.used_bytes).toBeGreaterThanOrEqual(bytes);
  });

  test('two DELETEs of one run at once: one 204, one 404', async () => {
    const res = (await (
      await as('ann', '/api/runs', json({ pipeline: 'objects', inputs: [{ image_id: await upload('ann', false) }] }))
    ).json()) as Json;
    await finished('ann', res.run_id);
    const statuses = await Promise.all(
      [0, 1].map(async () => (await as('ann', `/api/runs/${res.run_id}`, { method: 'DELETE' })).status),
    );
    expect(statuses.sort()).toEqual([204, 404]);
  });
});

describe('clips by path', () => {
  test('one answer for any path outside the allowed directories, whether it exists or not', async () => {
    const answer = async (video: string) => {
      const r = await as('ann', '/api/runs', json({ pipeline: 'objects', inputs: [{ video }] }));
      const b = (await r.json()) as Json;
      return [r.status, b.error.message.replace(video, '<path>')];
    };
    const seen = await Promise.all(
      ['/etc/passwd', '/etc/no-such-file', '/etc', join(clips.path, 'missing.mp4')].map(answer),
    );
    expect(new Set(seen.map((s) => JSON.stringify(s))).size).toBe(1);
    expect(seen[0]![0]).toBe(422);
  });

  test('random bytes named .mp4, and a clip deleted after it was accepted, fail their item at once; the queue goes on', async () => {
    await writeFile(join(clips.path, 'noise.mp4'), crypto.getRandomValues(new Uint8Array(64 * 1024)));
    await copyFile(join(VIDEOS, 'people-detection_from-gif.mp4'), join(clips.path, 'gone.mp4'));
    await copyFile(join(VIDEOS, 'people-detection_from-gif.mp4'), join(clips.path, 'good.mp4'));
    const submit = async (name: string) =>
      (
        (await (
          await as('ann', '/api/runs', json({ pipeline: 'objects', inputs: [{ video: join(clips.path, name) }] }))
        ).json()) as Json
      ).run_id as string;
    // A long clip holds the queue (one run at a time) while the others wait, so `gone` is deleted
    // before its turn, whatever the machine's speed.
    await copyFile(join(VIDEOS, 'one-by-one-person-detection.mp4'), join(clips.path, 'long.mp4'));
    const long = await submit('long.mp4');
    await waitFor(
      async () => ((await (await as('ann', `/api/runs/${long}`)).json()) as Json).status === 'running',
      30_000,
      'the long run to start',
    );
    const noise = await submit('noise.mp4');
    const gone = await submit('gone.mp4');
    await rm(join(clips.path, 'gone.mp4'));
    const good = await submit('good.mp4');
    expect((await as('ann', `/api/runs/${long}/cancel`, json({}))).status).toBe(200);
    const runs = await Promise.all([noise, gone, good].map((id) => finished('ann', id, 90_000)));
    expect(runs.map((r) => [r.status, r.items[0].status])).toEqual([
      ['failed', 'failed'],
      ['failed', 'failed'],
      ['succeeded', 'succeeded'],
    ]);
    expect(runs[1]!.items[0].error).toMatch(/gone\.mp4/);
  });
});

describe('public analytics are aggregates of streams only', () => {
  test('anonymous callers see sessions marked public, with no runs; no one counts a run they may not see', async () => {
    const photo = await upload('ann', true);
    const res = (await (
      await as('ann', '/api/runs', json({ pipeline: 'objects', inputs: [{ image_id: photo }] }))
    ).json()) as Json;
    await finished('ann', res.run_id);
    const session = (name: string, pub: boolean) =>
      as(
        'ann',
        '/api/sessions',
        json({
          name,
          description: `about ${name}`,
          runs: [res.run_id],
          starts_at: '2026-01-01T00:00:00Z',
          public: pub,
        }),
      );
    const hidden = (await (await session('secret garden', false)).json()) as Json;
    const shown = (await (await session('open day', true)).json()) as Json;
    const anon = (await (await fetch(`${app.url}/api/sessions`)).json()) as Json;
    expect(anon.items.map((s: Json) => [s.name, s.runs, s.owner])).toEqual([['open day', [], null]]);
    expect((await fetch(`${app.url}/api/sessions/${hidden.id}`)).status).toBe(404);
    expect((await fetch(`${app.url}/api/analytics/classes?session=${hidden.id}`)).status).toBe(404);
    expect((await fetch(`${app.url}/api/sessions/${shown.id}`)).status).toBe(200);
    // A run's labels: its owner reads them; anonymous callers and other users get what an unknown stream gets.
    const classes = (who: string | null) =>
      fetch(`${app.url}/api/analytics/classes?stream=run:${res.run_id}`, {
        headers: who ? { 'x-api-key': keys[who]! } : {},
      });
    const mine = (await (await classes('ann')).json()) as Json;
    expect(mine.classes.length).toBeGreaterThan(0);
    expect([(await classes(null)).status, (await classes('bob')).status]).toEqual([422, 422]);
    const all = (await (await fetch(`${app.url}/api/analytics/classes`)).json()) as Json;
    expect(all.streams.filter((s: string) => s.startsWith('run:'))).toEqual([]);
    expect(all.classes).toEqual([]);
  });
});

test('a bulk change whose filter has a misspelt key is refused and changes nothing', async () => {
  const id = await upload('ann', false);
  const r = await as('ann', '/api/images', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filter: { tags: 'x' }, add_tags: ['oops'] }),
  });
  const body = (await r.json()) as Json;
  expect([r.status, body.error.details.unknown]).toEqual([422, ['tags']]);
  expect(((await (await as('ann', `/api/images/${id}`)).json()) as Json).tags).not.toContain('oops');
});
