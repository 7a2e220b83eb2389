/**
 * Alerts reach a browser (issue 32): a browser subscribes through the API (checked, listed, changed,
 * tested, removed); then the person video runs through the built-in people pipeline on the
 * appliance, with two browsers subscribed. The first person's review item becomes an alert, and the alert is pushed: the stand-in push service
 * gets a push that only the first browser's keys open, saying who and where, linking the item. The
 * second browser's push service answers 410, and the box forgets that subscription. The push's
 * thumbnail link opens without a credential; a forged one does not.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { personStream, startAppliance, waitFor, type Appliance } from '../helpers/fixtures';
import { browser, open, pushService } from '../helpers/push';

let app: Appliance;
let service: ReturnType<typeof pushService>;

beforeAll(async () => {
  service = pushService();
  app = await startAppliance({ streams: [personStream()], notify: { web_push: { allow_loopback_http: true } } });
}, 60_000);
afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
  service?.stop();
});

const json = (method: string, body?: unknown) => ({
  method,
  headers: { 'content-type': 'application/json' },
  ...(body !== undefined && { body: JSON.stringify(body) }),
});

test('a browser subscribes through the API: checked, listed, its choices changed, a test push delivered', async () => {
  const vapid = (await (await app.api('/api/notify/vapid')).json()) as { enabled: boolean; public_key: string };
  expect([vapid.enabled, Buffer.from(vapid.public_key, 'base64url').length, vapid.public_key]).toEqual([
    true,
    65,
    app.rt.vapidPublicKey!,
  ]);
  const b = browser(`${service.url}/push/test`);
  // The box must not be aimed at its own network, nor take keys RFC 8291 cannot use.
  const refused = await Promise.all(
    [
      { ...b.target, endpoint: 'https://169.254.169.254/latest/meta-data' },
      { ...b.target, endpoint: 'http://10.0.0.5/push' },
      { ...b.target, keys: { p256dh: 'AAAA', auth: b.target.keys.auth } },
      { ...b.target, prefs: { severities: ['everything'] } },
    ].map(async (body) => (await app.api('/api/notify/subscriptions', json('POST', body))).status),
  );
  expect(refused).toEqual([422, 422, 422, 422]);
  // Keys that reach for prototypes are dropped as the body is read: nothing polluted, nothing of
  // them stored. A body far over the limit, sent chunked (no length to check first), is refused as
  // it arrives.
  const hostile = await app.api('/api/notify/subscriptions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `{"endpoint":"${service.url}/push/hostile","keys":{"p256dh":"${b.target.keys.p256dh}","auth":"${b.target.keys.auth}","__proto__":{"polluted":"yes"}},"prefs":{"__proto__":{"polluted":"yes"}}}`,
  });
  const big = new ReadableStream({
    start(c) {
      for (let i = 0; i < 64; i++) c.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      c.close();
    },
  });
  const oversize = await app.api('/api/notify/subscriptions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: big,
  });
  const dropped = (await hostile.json()) as { id: string; prefs: object };
  const stored = await app.rt.db.all<{ prefs: string; p256dh: string }>(
    'SELECT prefs, p256dh FROM push_subscriptions WHERE id = ?',
    [dropped.id],
  );
  expect([
    hostile.status,
    Object.hasOwn(dropped.prefs, '__proto__'),
    stored[0]!.prefs.includes('__proto__') || stored[0]!.prefs.includes('polluted'),
    oversize.status,
    ({} as Record<string, unknown>).polluted,
  ]).toEqual([201, false, false, 413, undefined]);
  await app.api(`/api/notify/subscriptions/${dropped.id}`, { method: 'DELETE' });
  const made = await app.api('/api/notify/subscriptions', json('POST', { ...b.target, expirationTime: null }));
  const sub = (await made.json()) as {
    id: string;
    service: string;
    prefs: { severities: string[]; cooldown_s: number };
  };
  expect([made.status, sub.service, sub.prefs.severities, sub.prefs.cooldown_s]).toEqual([
    201,
    new URL(service.url).host,
    ['alert'],
    60,
  ]);
  const changed = await app.api(
    `/api/notify/subscriptions/${sub.id}`,
    json('PATCH', { prefs: { cooldown_s: 5, quiet: { from: '22:00', to: '07:00' } } }),
  );
  expect(((await changed.json()) as { prefs: unknown }).prefs).toMatchObject({
    cooldown_s: 5,
    quiet: { from: '22:00', to: '07:00' },
  });
  const t = (await (await app.api(`/api/notify/subscriptions/${sub.id}/test`, json('POST'))).json()) as {
    delivered: boolean;
  };
  const pushed = service.received.find((r) => r.path === '/push/test')!;
  expect([t.delivered, JSON.parse(open(b, pushed.body)).title]).toEqual([true, 'fovea: notifications work']);
  const list = (await (await app.api('/api/notify/subscriptions')).json()) as {
    items: Array<{ id: string; sent: number }>;
  };
  expect(list.items.map((i) => [i.id, i.sent])).toEqual([[sub.id, 1]]);
  expect([
    (await app.api(`/api/notify/subscriptions/${sub.id}`, json('DELETE'))).status,
    (await app.api(`/api/notify/subscriptions/${sub.id}`, json('DELETE'))).status,
  ]).toEqual([204, 404]);
}, 60_000);

test('the first person in the video is an alert pushed to the subscribed browser; a gone browser is forgotten', async () => {
  const ann = browser(`${service.url}/push/ann`);
  const gone = browser(`${service.url}/gone`);
  const store = app.rt.notifyStore;
  const made = await app.api('/api/notify/subscriptions', json('POST', ann.target));
  const annId = ((await made.json()) as { id: string }).id;
  await store.subscribe(
    { owner: 'bob', endpoint: gone.target.endpoint, keys: gone.target.keys, agent: 'test', prefs: {} },
    'bob-1',
  );
  const push = await waitFor(() => service.received.find((r) => r.path === '/push/ann'), 90_000, 'a push to ann');
  const said = JSON.parse(open(ann, push.body)) as {
    title: string;
    body: string;
    url: string;
    tag: string;
    image: string | null;
  };
  const id = said.url.replace('/review/', '');
  const item = (await (await app.api(`/api/review/${id}`)).json()) as {
    stream: string;
    severity: string;
    labels: string[];
  };
  await waitFor(async () => (await store.get('bob-1')) === null, 10_000, 'the gone subscription removed');
  // The browser fetches the pushed thumbnail itself, with no credential: its signed link opens it,
  // and only it; the same image by its ordinary address needs a credential.
  const thumb = await fetch(`${app.url}${said.image}`);
  const bytes = new Uint8Array(await thumb.arrayBuffer());
  const forged = said.image!.replace(/sig=[^&]+/, `sig=${'A'.repeat(43)}`);
  const image = decodeURIComponent(said.image!.split('/').pop()!.split('?')[0]!);
  expect({
    said: { ...said, body: said.body.replace(/\d\d:\d\d$/, 'HH:MM') },
    item: [item.stream, item.severity, item.labels.includes('person')],
    ann: (await store.get(annId))?.sent,
    counts: { sent: app.rt.notifier?.counts.sent, gone: app.rt.notifier?.counts.gone },
    keys: (await stat(join(app.state, 'notify', 'vapid.json'))).mode & 0o777,
    thumb: [thumb.status, thumb.headers.get('content-type'), bytes[0], bytes[1]],
    forged: (await fetch(`${app.url}${forged}`)).status,
    plain: (await fetch(`${app.url}/api/images/${image}/thumbnail`)).status,
  }).toEqual({
    said: {
      title: 'Person at table',
      body: 'Alert in scene · HH:MM',
      url: `/review/${id}`,
      tag: `fovea-review-${id}`,
      image: expect.any(String),
    },
    item: ['table', 'alert', true],
    ann: 1,
    counts: { sent: 2, gone: 1 },
    keys: 0o600,
    thumb: [200, 'image/jpeg', 0xff, 0xd8],
    forged: 404,
    plain: 401,
  });
}, 120_000);
