/**
 * Web push on the wire (issue 32): a push-service stand-in on loopback takes fovea's push as a real
 * push service would (RFC 8030), checks its VAPID JWT against the box's public key (RFC 8292), and
 * decrypts the aes128gcm payload with the subscription's private key and auth secret (RFC 8291),
 * as the browser would. A gone subscription (410, 404) is told apart from a failure (500, a refused
 * connection, a service that hangs).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { importJWK, jwtVerify } from 'jose';
import { newVapidKeys, sendPush, type PushOptions } from '../../appliance/notify/webpush';
import { vapidKeys } from '../../appliance/notify/keys';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures';
import { b64u, browser, open, pushService } from '../helpers/push';

let service: ReturnType<typeof pushService>;
let base: string;
const received = () => service.received;

beforeAll(() => {
  service = pushService();
  base = service.url;
});
afterAll(() => service.stop());

const vapid = newVapidKeys();
const opts: PushOptions = { vapid, subject: 'mailto:ops@example.org', ttlS: 600, urgency: 'high', timeoutMs: 2000 };

describe('web push', () => {
  test('the push service gets a VAPID-signed request whose payload the subscription alone decrypts', async () => {
    const b = browser(`${base}/push/abc`);
    const payload = JSON.stringify({ title: 'Person at gate', body: 'Alert · 14:02', url: '/review/r1' });
    expect(await sendPush(b.target, payload, opts)).toEqual({ ok: true, status: 201 });
    const r = received().at(-1)!;
    expect([r.path, r.headers['content-encoding'], r.headers.ttl, r.headers.urgency]).toEqual([
      '/push/abc',
      'aes128gcm',
      '600',
      'high',
    ]);
    // RFC 8292: "vapid t=<JWT>, k=<public key>"; the JWT is ES256, for the push service's origin.
    const m = /^vapid t=([^,]+), k=(.+)$/.exec(r.headers.authorization ?? '')!;
    expect(m[2]).toBe(vapid.publicKey);
    const raw = Buffer.from(vapid.publicKey, 'base64url');
    const key = await importJWK(
      { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33, 65)) },
      'ES256',
    );
    const { payload: jwt } = await jwtVerify(m[1]!, key, { audience: base });
    expect(jwt.sub).toBe('mailto:ops@example.org');
    // RFC 8291: the browser's private key and auth secret open it; another subscription's do not.
    expect(JSON.parse(open(b, r.body))).toEqual(JSON.parse(payload));
    expect(() => open(browser(`${base}/push/other`), r.body)).toThrow();
  });

  test('410 and 404 mean the subscription is gone; 500, no server and a hang are failures to retry', async () => {
    const at = (path: string) => sendPush(browser(`${base}${path}`).target, '{}', { ...opts, timeoutMs: 500 });
    const closed = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') });
    const dead = `http://127.0.0.1:${closed.port}/push`;
    closed.stop(true);
    const results = [
      await at('/gone'),
      await at('/unknown'),
      await at('/broken'),
      await sendPush(browser(dead).target, '{}', opts),
      await at('/hang'),
    ];
    expect(results.map((r) => (r.ok ? 'ok' : `${r.gone ? 'gone' : 'retry'} ${r.status}`))).toEqual([
      'gone 410',
      'gone 404',
      'retry 500',
      'retry null',
      'retry null',
    ]);
    // Keys that are not a P-256 point cannot be encrypted to: gone, without a request.
    const before = received().length;
    const bad = await sendPush({ endpoint: `${base}/push/x`, keys: { p256dh: 'AAAA', auth: 'AAAA' } }, '{}', opts);
    expect([bad.ok, !bad.ok && bad.gone, received().length]).toEqual([false, true, before]);
  });
});

describe('VAPID keys', () => {
  test('made once and kept (0600); a damaged file is an error that names it, not new keys', async () => {
    await using dir = await tempDir();
    const path = join(dir.path, 'notify', 'vapid.json');
    const first = await vapidKeys(path);
    const again = await vapidKeys(path);
    expect([again, (await stat(path)).mode & 0o777, Buffer.from(first.publicKey, 'base64url').length]).toEqual([
      first,
      0o600,
      65,
    ]);
    await writeFile(path, '{"publicKey": 1');
    await expect(vapidKeys(path)).rejects.toThrow(`the VAPID keys in ${path} are not JSON`);
    await writeFile(path, '{"publicKey": "a"}');
    await expect(vapidKeys(path)).rejects.toThrow('lack publicKey or privateKey');
  });
});
