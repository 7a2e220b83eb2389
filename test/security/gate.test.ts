/**
 * The one gate, on a real appliance with auth on: WebSocket upgrades under every spelling of their
 * path, /metrics under every spelling, sockets that end with their credential, bodies limited by
 * what is read (chunked), the CORS preflight's methods, and paths no client sends. (Every HTTP
 * route under every spelling: auth-matrix.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { personStream, startAppliance, waitFor, type Appliance } from '../helpers/fixtures';
import { record } from '../helpers/ws';

const ORIGIN = 'https://ui.example';
let app: Appliance;
let viewerKey: string;

beforeAll(async () => {
  app = await startAppliance({
    api: {
      auth: true,
      metrics_auth: true,
      cors_origins: [ORIGIN],
      rate_limit_per_minute: 1_000_000,
      people_rate_limit_per_minute: 1_000_000,
    },
    streams: [personStream('gate')],
  });
  const u = await app.rt.users.create('gate-viewer', 'viewer', null);
  viewerKey = await app.rt.keys.create('gate-viewer-key', { user_id: u.id });
});
afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
});

const wsUrl = (path: string) => app.url.replace(/^http/, 'ws') + path;

/** Open a WebSocket; the close code and reason, or 'refused' when the upgrade is refused. */
async function attempt(path: string, protocols: string[]): Promise<'opened' | 'refused'> {
  return record(wsUrl(path), { protocols }).then(
    (r) => {
      r.ws.close();
      return 'opened' as const;
    },
    () => 'refused' as const,
  );
}

const SPELLINGS = (p: string) => [
  p,
  `${p}/`,
  `/${p}`,
  p.replace(/\//g, '//'),
  p.toUpperCase(),
  p.replace('/ws/a', '/ws/%61'),
];

describe('the gate', () => {
  test('an anonymous WebSocket is refused under every spelling of /ws/analysis and /ws/live/:id', async () => {
    const anon: Record<string, string> = {};
    for (const p of [...SPELLINGS('/ws/analysis'), ...SPELLINGS('/ws/live/gate')])
      anon[p] = await attempt(p, [p.toLowerCase().includes('live') ? 'fmp4' : 'json']);
    expect(Object.values(anon)).toEqual(Object.values(anon).map(() => 'refused'));
    // The same sockets with a credential open: the refusals above are the gate's, not the router's.
    expect(await attempt('/ws/analysis/', ['json', `bearer.${viewerKey}`])).toBe('opened');
    expect(await attempt('/ws/analysis', ['json', `bearer.${viewerKey}`])).toBe('opened');
  });

  test('a full box refuses no viewer because of anonymous sockets', async () => {
    const tries = await Promise.all(Array.from({ length: 20 }, () => attempt('/ws/analysis/', ['json'])));
    expect(tries.every((t) => t === 'refused')).toBe(true);
    expect(app.rt.hub.size).toBe(0);
  });

  test('/metrics needs its credential under every spelling when metrics_auth is on', async () => {
    const statuses: Record<string, number> = {};
    for (const p of ['/metrics', '/metrics/', '//metrics', '/METRICS', '/%6detrics', '/metrics//']) {
      const r = await fetch(app.url + p);
      await r.arrayBuffer();
      statuses[p] = r.status;
    }
    expect(Object.values(statuses)).toEqual(Object.values(statuses).map(() => 401));
    const ok = await app.api('/metrics/');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('fovea_');
  });

  test('a path no client sends is refused with 400: encoded slash, broken escape, encoded backslash', async () => {
    const out: Record<string, number> = {};
    // (Dot segments are resolved by fetch itself before they leave: test/unit/small-parts canonicalPath.)
    for (const p of ['/api/images/a%2F..%2Fusers', '/api/images/%E0%A4%A', '/api/images/a%5Cb']) {
      const r = await app.api(p);
      out[p] = r.status;
      expect(((await r.json()) as { error: { message: string } }).error.message).toContain(
        'the request path is not well-formed',
      );
    }
    expect(Object.values(out)).toEqual([400, 400, 400]);
  });

  test('the CORS preflight lists every method the routes take, PUT among them', async () => {
    const r = await fetch(`${app.url}/api/pipelines/people`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'PUT' },
    });
    expect(r.status).toBe(204);
    const methods = (r.headers.get('access-control-allow-methods') ?? '').split(', ').sort();
    expect(methods).toEqual(['DELETE', 'GET', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
  });
});

describe('bodies are limited by what is read', () => {
  /** A chunked body of `total` bytes (no Content-Length); `sent()` is how much the server pulled. */
  function chunked(total: number, first = '') {
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent === 0 && first) {
          const b = new TextEncoder().encode(first);
          sent += b.length;
          c.enqueue(b);
          return;
        }
        if (sent >= total) return c.close();
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    return { stream, sent: () => sent };
  }

  test('a chunked 200 MiB login is refused with 413 after about its limit, not read to its end', async () => {
    const before = process.memoryUsage().rss;
    const results = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const body = chunked(200 * 1024 * 1024, '{"username":"x","password":"');
        const r = await fetch(`${app.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body.stream,
          duplex: 'half',
        } as RequestInit);
        const err = (await r.json()) as { error: { code: string; details: { max_bytes: number } } };
        return { status: r.status, code: err.error.code, max: err.error.details.max_bytes, sent: body.sent() };
      }),
    );
    for (const x of results) {
      expect(x).toEqual({ status: 413, code: 'payload_too_large', max: 1024 * 1024, sent: expect.any(Number) });
      // The client may have a few socket buffers in flight past the limit, never the whole body.
      expect(x.sent).toBeLessThan(32 * 1024 * 1024);
    }
    // The four bodies (800 MiB) were never held: the process grew by far less than one of them.
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);
  });

  test('a chunked body under its limit is read whole and handled as a declared one', async () => {
    const text = JSON.stringify({ username: 'nobody', password: 'not-the-password' });
    const r = await fetch(`${app.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(text.slice(0, 10)));
          c.enqueue(new TextEncoder().encode(text.slice(10)));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

describe('sockets end when their credential does', () => {
  test('a revoked key closes its open analysis socket with 4401', async () => {
    const u = await app.rt.users.create('gate-revoked', 'viewer', null);
    const key = await app.rt.keys.create('gate-revoked-key', { user_id: u.id });
    const sock = await record(wsUrl('/ws/analysis'), { protocols: ['json', `bearer.${key}`] });
    await app.rt.keys.revoke('gate-revoked-key');
    const closed = await Promise.race([sock.closed, Bun.sleep(15_000).then(() => null)]);
    expect(closed).toEqual({ code: 4401, reason: 'the API key is not valid' });
  });

  test('a login token that expires closes its live video socket with 4401', async () => {
    const viewer = app.rt.users.byName('gate-viewer')!;
    const secret = new Uint8Array(readFileSync(app.rt.paths.authSecret));
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ name: viewer.name, role: 'viewer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(viewer.id)
      .setIssuer('fovea-box')
      .setAudience('fovea-box-api')
      .setIssuedAt(now)
      .setExpirationTime(now + 3)
      .sign(secret);
    await waitFor(async () => (await app.api('/api/streams/gate/latest')).status === 200, 30_000, 'a first frame');
    const ws = new WebSocket(wsUrl('/ws/live/gate'), ['fmp4', `bearer.${token}`]);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
    });
    const opened = await new Promise<boolean>((resolve) => {
      ws.onopen = () => resolve(true);
      ws.onerror = () => resolve(false);
    });
    expect(opened).toBe(true);
    const end = await Promise.race([closed, Bun.sleep(20_000).then(() => null)]);
    expect(end?.code).toBe(4401);
  });

  test('removing the user closes the sockets of their keys', async () => {
    const u = await app.rt.users.create('gate-removed', 'viewer', null);
    const key = await app.rt.keys.create('gate-removed-key', { user_id: u.id });
    const sock = await record(wsUrl('/ws/analysis'), { protocols: ['json', `bearer.${key}`] });
    await app.rt.users.remove('gate-removed');
    const closed = await Promise.race([sock.closed, Bun.sleep(15_000).then(() => null)]);
    expect(closed?.code).toBe(4401);
  });
});
