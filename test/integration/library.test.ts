/**
 * The photo library with owners: a private photo exists only for its owner and admins, by every
 * image route (list, get, file, thumbnail, search by image and by id, change, delete); PATCH keeps
 * the id and what search finds; bulk changes reach only what the caller can see; a quota refuses
 * the upload that would cross it and stores nothing. One appliance for the file.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import {
  COCO,
  fileBlob,
  form,
  startAppliance,
  tempDir,
  usersWithKeys,
  waitFor,
  type Appliance,
} from '../helpers/fixtures';
import sharp from 'sharp';
import { cameraPhoto, exiftool } from '../helpers/exif';
import { record } from '../helpers/ws';
import { eventsAfter } from '../../appliance/store/results';

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Json = Record<string, any>;

let app: Appliance;
const keys: Record<string, string> = {};
const PHOTOS = readdirSync(COCO)
  .filter((f) => f.endsWith('.jpg'))
  .sort();

beforeAll(async () => {
  app = await startAppliance({});
  Object.assign(
    keys,
    await usersWithKeys(app, [
      ['ann', 'operator'],
      ['bob', 'operator'],
      ['vic', 'viewer'],
      ['ada', 'admin'],
    ]),
  );
}, 60_000);

afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
});

const as = async (who: string, path: string, init: RequestInit = {}) => {
  const r = await fetch(app.url + path, { ...init, headers: { 'x-api-key': keys[who]!, ...(init.headers as object) } });
  const type = r.headers.get('content-type') ?? '';
  return { status: r.status, body: (type.includes('json') ? await r.json() : null) as Json };
};
const upload = async (who: string, photo: string, fields: Record<string, string> = {}) =>
  as(who, '/api/images', {
    method: 'POST',
    body: form({ file: [await fileBlob(join(COCO, photo), 'image/jpeg'), photo], ...fields }),
  });
const patch = (who: string, path: string, body: unknown) =>
  as(who, path, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const ids = (b: Json) => (b.items as Json[]).map((i) => i.image_id as string).sort();

let annPrivate: string;
let annShared: string;
let bobShared: string;

describe('photo library', () => {
  test('a private photo is there for its owner and admins only, by every route', async () => {
    const a = await upload('ann', PHOTOS[0]!, { private: 'true', name: 'ann secret', tags: 'family' });
    const b = await upload('ann', PHOTOS[1]!, { name: 'ann shared', tags: 'family' });
    const c = await upload('bob', PHOTOS[2]!, { name: 'bob shared' });
    expect([a.status, a.body.private, a.body.owner, a.body.owner_name]).toEqual([
      201,
      true,
      app.rt.users.byName('ann')!.id,
      'ann',
    ]);
    annPrivate = a.body.image_id;
    annShared = b.body.image_id;
    bobShared = c.body.image_id;
    const all = [annPrivate, annShared, bobShared].sort();
    const shared = [annShared, bobShared].sort();
    expect({
      ann: ids((await as('ann', '/api/images')).body),
      ada: ids((await as('ada', '/api/images')).body),
      bob: ids((await as('bob', '/api/images')).body),
      vic: ids((await as('vic', '/api/images')).body),
    }).toEqual({ ann: all, ada: all, bob: shared, vic: shared });
    const routes = [
      `/api/images/${annPrivate}`,
      `/api/images/${annPrivate}/file`,
      `/api/images/${annPrivate}/thumbnail`,
      `/api/images/${annPrivate}/preview`,
    ];
    for (const who of ['bob', 'vic'])
      for (const r of routes) expect([who, r, (await as(who, r)).status]).toEqual([who, r, 404]);
    for (const who of ['ann', 'ada'])
      for (const r of routes) expect([who, r, (await as(who, r)).status]).toEqual([who, r, 200]);
    const byId = (who: string) =>
      as(who, '/api/search', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ image_id: annPrivate, limit: 10 }),
      });
    expect([(await byId('bob')).status, (await byId('ann')).status]).toEqual([404, 200]);
    const byImage = async (who: string) =>
      (
        (
          await as(who, '/api/search', {
            method: 'POST',
            body: form({ file: [await fileBlob(join(COCO, PHOTOS[0]!), 'image/jpeg'), 'q.jpg'], limit: '10' }),
          })
        ).body.results as Json[]
      ).map((r) => r.image_id);
    expect((await byImage('ann'))[0]).toBe(annPrivate);
    expect(await byImage('bob')).not.toContain(annPrivate);
    expect((await patch('bob', `/api/images/${annPrivate}`, { name: 'mine now' })).status).toBe(404);
    // A run over it: an unknown image to Bob; Ann's own.
    const run = (who: string) =>
      as(who, '/api/runs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pipeline: 'objects', inputs: [{ image_id: annPrivate }] }),
      });
    const refused = await run('bob');
    expect([refused.status, refused.body.error.details]).toEqual([422, { unknown_image_ids: [annPrivate] }]);
    const accepted = await run('ann');
    expect(accepted.status).toBe(202);
    await as('ann', `/api/runs/${accepted.body.run_id}/cancel`, { method: 'POST' });
    expect((await as('bob', `/api/images/${annPrivate}`, { method: 'DELETE' })).status).toBe(404);
    // Filters: mine, private.
    expect(ids((await as('ann', '/api/images?owner=mine&private=true')).body)).toEqual([annPrivate]);
    expect(ids((await as('bob', '/api/images?owner=mine')).body)).toEqual([bobShared]);
  }, 60_000);

  test('PATCH keeps the id and what search finds; bad changes are refused; bulk reaches only what one can see', async () => {
    const before = (await as('ann', `/api/images/${annPrivate}`)).body;
    const changed = await patch('ann', `/api/images/${annPrivate}`, {
      name: 'holiday',
      description: 'the beach',
      add_tags: ['summer', 'family'],
      remove_tags: ['nothing-there'],
    });
    expect([changed.status, changed.body.image_id, changed.body.name, changed.body.tags.sort()]).toEqual([
      200,
      annPrivate,
      'holiday',
      ['family', 'summer'],
    ]);
    expect(changed.body.updated_at > before.updated_at).toBe(true);
    // Search by the photo's file still finds the changed photo first (its id and vector are kept).
    const photoOf = (await as('ann', `/api/images/${annPrivate}`)).body.file_name as string;
    const found = await as('ann', '/api/search', {
      method: 'POST',
      body: form({ file: [await fileBlob(join(COCO, photoOf), 'image/jpeg'), photoOf], limit: '1' }),
    });
    expect(found.body.results[0].image_id).toBe(annPrivate);
    expect((await patch('ann', `/api/images/${annPrivate}`, { colour: 'red' })).status).toBe(422);
    expect((await patch('ann', `/api/images/${annPrivate}`, { private: 'perhaps' })).status).toBe(422);
    expect((await patch('ann', '/api/images/00000000-0000-7000-8000-000000000000', { name: 'x' })).status).toBe(404);
    expect((await patch('vic', `/api/images/${annShared}`, { name: 'x' })).status).toBe(403);
    // Bob tags everything tagged family that he can see: Ann's shared photo, never her private one.
    const bulk = await patch('bob', '/api/images', { filter: { tag: 'family' }, add_tags: ['seen-by-bob'] });
    expect([bulk.status, bulk.body.ids]).toEqual([200, [annShared]]);
    expect((await as('ann', `/api/images/${annPrivate}`)).body.tags).not.toContain('seen-by-bob');
    const byIds = await patch('ann', '/api/images', { ids: [annPrivate, annShared], private: true });
    expect(byIds.body.changed).toBe(2);
    expect(ids((await as('bob', '/api/images')).body)).toEqual([bobShared]);
    expect((await patch('ann', '/api/images', { ids: [annShared], filter: {}, private: false })).status).toBe(422);
  }, 60_000);

  test('quotas: the upload that would cross it is refused, nothing stored; a quota under what is stored is allowed', async () => {
    const me = (await as('bob', '/api/auth/me')).body;
    const used = me.library.used_bytes as number;
    expect([used > 0, me.library.quota_bytes]).toEqual([true, 1024 * 1024 * 1024]);
    const next = (await Bun.file(join(COCO, PHOTOS[3]!)).bytes()).length;
    const set = await patch('ada', '/api/users/bob', { quota_bytes: used + next - 1 });
    expect([set.status, set.body.quota_bytes, set.body.used_bytes]).toEqual([200, used + next - 1, used]);
    const before = (await as('ada', '/api/images')).body.total;
    const refused = await upload('bob', PHOTOS[3]!);
    expect([refused.status, refused.body.error.code, refused.body.error.details]).toEqual([
      413,
      'quota_exceeded',
      { used_bytes: used, quota_bytes: used + next - 1, upload_bytes: next },
    ]);
    expect((await as('ada', '/api/images')).body.total).toBe(before);
    // Ann's quota is her own.
    expect((await upload('ann', PHOTOS[3]!)).status).toBe(201);
    // Below what is stored: allowed, and every upload refused until under it; null: no quota.
    expect((await patch('ada', '/api/users/bob', { quota_bytes: 1 })).status).toBe(200);
    expect((await upload('bob', PHOTOS[4]!)).status).toBe(413);
    expect((await patch('ada', '/api/users/bob', { quota_bytes: null })).body.quota_bytes).toBe(null);
    expect((await upload('bob', PHOTOS[4]!)).status).toBe(201);
    const list = (await as('ada', '/api/users')).body.items as Json[];
    expect(list.find((u) => u.name === 'bob')!.used_bytes).toBe(
      used + (await Bun.file(join(COCO, PHOTOS[4]!)).bytes()).length,
    );
  }, 60_000);
});

test('an event whose snapshot was made private shows it to admins only; the feeds (WebSocket replay, webhooks) to nobody', async () => {
  /** An event on the door with a snapshot of the photo, as a pipeline would record it: the event's id and the image. */
  const eventWithSnapshot = async (photo: string, trackId: number) => {
    const image = await app.rt.images.register({
      data: new Uint8Array(await Bun.file(join(COCO, photo)).arrayBuffer()),
      fileName: `${trackId}.jpg`,
      name: null,
      description: null,
      tags: ['snapshot'],
      origin: { kind: 'snapshot', stream: 'door', eventId: `e${trackId}` },
    });
    const id = Bun.randomUUIDv7();
    await app.rt.sink.event({
      id,
      sessionId: Bun.randomUUIDv7(),
      revision: null,
      stream: 'door',
      timestamp: new Date(),
      event: { type: 'enter', zone: 'door', trackId, label: 'person', ts: 0 },
      snapshotKey: image.storage_key,
      imageId: image.id,
    });
    return { id, image };
  };
  const { id: first, image: before } = await eventWithSnapshot(PHOTOS[31]!, 0);
  const { image: snap } = await eventWithSnapshot(PHOTOS[30]!, 1);
  await app.rt.sink.flush();
  const snapshotOf = async (who: string) => {
    const e = (await as(who, '/api/events?stream=door')).body.items[0] as Json;
    const one = (await as(who, `/api/events/${e.id}`)).body;
    return [e.image_id, e.snapshot_url !== null, one.image_id];
  };
  expect(await snapshotOf('bob')).toEqual([snap.id, true, snap.id]);
  expect((await patch('ada', `/api/images/${snap.id}`, { private: true })).status).toBe(200);
  expect({ bob: await snapshotOf('bob'), ada: await snapshotOf('ada') }).toEqual({
    bob: [null, false, null],
    ada: [snap.id, true, snap.id],
  });
  // A WebSocket subscriber resuming after the first event, even an admin's, gets the second without it.
  const ws = await record(`${app.url.replace('http', 'ws')}/ws/analysis`, { headers: { 'x-api-key': keys.ada! } });
  try {
    ws.send({ type: 'subscribe', since: first, streams: ['door'] });
    await waitFor(() => ws.messages.some((m) => m.event === 'subscribed'), 10_000, 'the replay');
    const replayed = ws.messages.filter((m) => m.id);
    expect(replayed.map((m) => [m.payload.image_id, m.payload.snapshot_url])).toEqual([[null, null]]);
  } finally {
    ws.ws.close();
  }
  // Webhooks read the same feed.
  const feed = await eventsAfter(app.rt.db, 0, { streams: ['door'] }, 10);
  expect(feed.map((e) => [e.image_id, e.snapshot_key])).toEqual([
    [before.id, before.storage_key],
    [null, null],
  ]);
});

describe('EXIF', () => {
  test('the fields kept equal what exiftool reads; thumbnails are upright; filters by camera, time, location; sort by taken', async () => {
    await using dir = await tempDir();
    const path = await cameraPhoto(dir.path, 'canon.jpg', PHOTOS[10]!);
    const want = await exiftool(path);
    const up = await as('ann', '/api/images', {
      method: 'POST',
      body: form({ file: [await fileBlob(path, 'image/jpeg'), 'canon.jpg'] }),
    });
    expect(up.status).toBe(201);
    // What was stored, read back (not only the answer to the upload).
    const e = (await as('ann', `/api/images/${up.body.image_id}`)).body.exif as Json;
    expect(e).toEqual({
      taken_at: '2026-05-04T08:11:12.000Z',
      taken_local: '2026-05-04T10:11:12',
      taken_offset: want['EXIF:OffsetTimeOriginal'],
      camera_model: `${want['IFD0:Make'] ?? want['EXIF:Make']} ${want['IFD0:Model'] ?? want['EXIF:Model']}`,
      make: want['EXIF:Make'],
      model: want['EXIF:Model'],
      lens: want['EXIF:LensModel'],
      exposure_s: want['EXIF:ExposureTime'],
      f_number: want['EXIF:FNumber'],
      focal_length_mm: want['EXIF:FocalLength'],
      iso: want['EXIF:ISO'],
      orientation: want['EXIF:Orientation'],
      gps: {
        lat: expect.closeTo(want['EXIF:GPSLatitude'], 6),
        lon: expect.closeTo(want['EXIF:GPSLongitude'], 6),
        alt: want['EXIF:GPSAltitude'],
      },
    });
    // Orientation 6: the stored landscape photo is shown portrait.
    const source = await sharp(path).metadata();
    const thumbRes = await fetch(`${app.url}/api/images/${up.body.image_id}/thumbnail`, {
      headers: { 'x-api-key': keys.ann! },
    });
    const thumb = await sharp(new Uint8Array(await thumbRes.arrayBuffer())).metadata();
    const previewRes = await fetch(`${app.url}/api/images/${up.body.image_id}/preview`, {
      headers: { 'x-api-key': keys.ann! },
    });
    const preview = await sharp(new Uint8Array(await previewRes.arrayBuffer())).metadata();
    // Two sizes, both upright: the grid's 256 px and the preview's (never enlarged past the original).
    expect([source.width! > source.height!, thumb.height! > thumb.width!, preview.height! > preview.width!]).toEqual([
      true,
      true,
      true,
    ]);
    expect([thumb.height, preview.height]).toEqual([256, source.width]);
    const list = async (q: string) => ids((await as('ann', `/api/images?${q}`)).body);
    expect(await list('camera=canon')).toEqual([up.body.image_id]);
    expect(await list('has_gps=true')).toEqual([up.body.image_id]);
    expect(await list('taken_from=2026-05-04T08:00:00Z&taken_to=2026-05-04T09:00:00Z')).toEqual([up.body.image_id]);
    expect(await list('taken_from=2026-05-05T00:00:00Z')).toEqual([]);
    expect((await as('ann', '/api/images?sort=taken')).body.items[0].image_id).toBe(up.body.image_id);
    expect((await as('ann', '/api/images?has_gps=perhaps')).status).toBe(422);
  }, 60_000);

  test('strip_gps: no coordinate in the stored file, the thumbnail or any answer; the photo stored upright', async () => {
    await using dir = await tempDir();
    const path = await cameraPhoto(dir.path, 'canon.jpg', PHOTOS[11]!);
    await using box = await startAppliance({ images: { strip_gps: true } });
    const up = (await (
      await box.api('/api/images', {
        method: 'POST',
        body: form({ file: [await fileBlob(path, 'image/jpeg'), 'canon.jpg'] }),
      })
    ).json()) as Json;
    const id = up.image_id as string;
    const stored = join(dir.path, 'stored.jpg');
    const thumb = join(dir.path, 'thumb.jpg');
    await Bun.write(stored, await (await box.api(`/api/images/${id}/file`)).arrayBuffer());
    await Bun.write(thumb, await (await box.api(`/api/images/${id}/thumbnail`)).arrayBuffer());
    const preview = join(dir.path, 'preview.jpg');
    await Bun.write(preview, await (await box.api(`/api/images/${id}/preview`)).arrayBuffer());
    const gpsTags = (j: Json) => Object.keys(j).filter((k) => /GPS/i.test(k));
    const answers = JSON.stringify([
      up,
      await (await box.api(`/api/images/${id}`)).json(),
      await (await box.api('/api/images')).json(),
    ]);
    const [s, t, p, src] = [
      await exiftool(stored),
      await exiftool(thumb),
      await exiftool(preview),
      await sharp(path).metadata(),
    ];
    const meta = await sharp(stored).metadata();
    expect({
      stored: gpsTags(s),
      thumbnail: gpsTags(t),
      preview: gpsTags(p),
      answer: up.exif.gps,
      coordinate: answers.includes('52.52') || answers.includes('13.40'),
      // Upright in its pixels: no orientation tag, or 1 (normal).
      upright: [meta.width, meta.height, s['EXIF:Orientation'] ?? s['IFD0:Orientation'] ?? 1],
      make: s['EXIF:Make'] ?? s['IFD0:Make'],
    }).toEqual({
      stored: [],
      thumbnail: [],
      preview: [],
      answer: null,
      coordinate: false,
      upright: [src.height, src.width, 1],
      make: 'Canon',
    });
  }, 60_000);
});

test('event snapshots stay out of the library and its search unless asked; a search by a photo leaves it out; exact copies answer once', async () => {
  const [photo, snapPhoto] = [PHOTOS[60]!, PHOTOS[61]!];
  const copies = [
    (await upload('ann', photo)).body.image_id as string,
    (await upload('ann', photo)).body.image_id as string,
    (await upload('bob', photo)).body.image_id as string,
  ];
  const snap = (await upload('ada', snapPhoto, { tags: 'snapshot,cam' })).body.image_id as string;
  const listed = async (q: string) => ids((await as('ann', `/api/images?limit=100${q}`)).body);
  expect([
    (await listed('')).includes(snap),
    (await listed('&snapshots=include')).includes(snap),
    (await listed('&snapshots=only')).includes(snap) &&
      (await listed('&snapshots=only')).every((id) => id !== copies[0]),
    (await listed('&tag=snapshot')).includes(snap),
    (await as('ann', '/api/images?snapshots=perhaps')).status,
  ]).toEqual([false, true, true, true, 422]);
  const byFile = async (file: string, extra: Record<string, string> = {}) =>
    (
      await as('ann', '/api/search', {
        method: 'POST',
        body: form({ file: [await fileBlob(join(COCO, file), 'image/jpeg'), file], limit: '10', ...extra }),
      })
    ).body.results.map((r: Json) => r.image_id as string);
  // Three rows of one file (one sha256): one result, at the top.
  const found = await byFile(photo);
  expect([copies.includes(found[0]!), found.filter((id: string) => copies.includes(id)).length]).toEqual([true, 1]);
  expect((await byFile(snapPhoto)).includes(snap)).toBe(false);
  expect((await byFile(snapPhoto, { snapshots: 'include' }))[0]).toBe(snap);
  // By a photo of the library: the photo itself is not its own answer.
  const byId = (
    await as('ann', '/api/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image_id: copies[0], limit: 10 }),
    })
  ).body.results.map((r: Json) => r.image_id as string);
  expect(byId.includes(copies[0])).toBe(false);
});
