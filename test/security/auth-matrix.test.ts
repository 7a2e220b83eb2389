/**
 * The auth matrix: every route the app itself registers × {no credentials, viewer, operator,
 * admin, wrong key, expired JWT, JWT signed with another key, alg none}. A route with no rule in
 * the access table fails the test (and so does a rule with no route); each combination must pass
 * the guard exactly when the table and the role allow it: refused ones answer 401 (no or bad
 * credential) or 403 (a valid one without the scope), allowed ones anything but those. Then the
 * owner dimension: a user's private photo by every route that names an image, list and search
 * (events and the WebSocket: test/integration/library.test.ts).
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { COCO, startAppliance } from '../helpers/fixtures';
import { appOf } from '../../appliance/compose/server';
import { ACCESS, ruleOf } from '../../appliance/api/access';
import { roleScopes, type Role } from '../../appliance/auth/roles';
import { createLogger } from '../../appliance/shared/log';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const PHOTO = '000000000139.jpg';

/**
 * A path as the table names it and as a client may spell it: with a trailing slash, doubled
 * slashes, another letter case, and its first letter percent-encoded. The router takes some of
 * these to the route (Elysia routes `/metrics/` and `//api/users`); the gate must decide on all
 * of them as on the path itself.
 */
function variantsOf(path: string): string[] {
  if (path === '/') return ['/', '//'];
  const enc = path.replace(/^\/([a-z])/, (_, ch: string) => `/%${ch.charCodeAt(0).toString(16)}`);
  return [path, `${path}/`, `/${path}`, path.replace(/\//g, '//'), path.toUpperCase(), enc];
}

test('every route × every kind of credential × every spelling of its path: only the allowed combinations pass', async () => {
  // metrics_auth on: /metrics is open by default (loopback scraping), guarded like the rest here.
  await using app = await startAppliance({ api: { auth: true, metrics_auth: true, rate_limit_per_minute: 1_000_000 } });
  const rt = app.rt;
  // The route list comes from the app itself: a route added without a rule fails here.
  const routes = appOf(rt, createLogger({ test: true }))
    .routes.filter((r) => !['/docs', '/openapi.json'].includes(r.path) || r.method === 'GET')
    .map((r) => ({ method: r.method === 'WS' ? 'GET' : r.method, path: r.path.replace(/(.)\/$/, '$1') }));
  const unique = [...new Map(routes.map((r) => [`${r.method} ${r.path}`, r])).values()].filter(
    (r) => r.method !== 'HEAD',
  );
  const withoutRule = unique.filter((r) => !ACCESS.some((a) => a.method === r.method && a.path === r.path));
  const withoutRoute = ACCESS.filter((a) => !unique.some((r) => r.method === a.method && r.path === a.path));
  expect({ withoutRule, withoutRoute }).toEqual({ withoutRule: [], withoutRoute: [] });

  const keys: Record<Role, string> = { viewer: '', operator: '', admin: '' };
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    const u = await rt.users.create(`m-${role}`, role, null);
    keys[role] = await rt.keys.create(`matrix-${role}`, { user_id: u.id });
  }
  const secret = new Uint8Array(readFileSync(rt.paths.authSecret));
  const viewer = rt.users.byName('m-viewer')!;
  const expired = await new SignJWT({ name: viewer.name, role: 'viewer' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(viewer.id)
    .setIssuer('fovea-box')
    .setAudience('fovea-box-api')
    .setIssuedAt(now() - 3600)
    .setExpirationTime(now() - 1800)
    .sign(secret);
  const otherKey = await new SignJWT({ name: viewer.name, role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(viewer.id)
    .setIssuer('fovea-box')
    .setAudience('fovea-box-api')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(crypto.getRandomValues(new Uint8Array(32)));
  const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: viewer.id, role: 'admin', iss: 'fovea-box', aud: 'fovea-box-api', exp: now() + 600, iat: now() })}.`;
  const creds: Record<string, { header: Record<string, string>; role: Role | null }> = {
    none: { header: {}, role: null },
    viewer: { header: { 'x-api-key': keys.viewer }, role: 'viewer' },
    operator: { header: { 'x-api-key': keys.operator }, role: 'operator' },
    admin: { header: { 'x-api-key': keys.admin }, role: 'admin' },
    wrongKey: { header: { 'x-api-key': `fov_${keys.admin.slice(4, 12)}_${'A'.repeat(43)}` }, role: null },
    expiredJwt: { header: { authorization: `Bearer ${expired}` }, role: null },
    otherKeyJwt: { header: { authorization: `Bearer ${otherKey}` }, role: null },
    algNone: { header: { authorization: `Bearer ${algNone}` }, role: null },
  };

  const wrong: string[] = [];
  let probes = 0;
  for (const r of unique) {
    const need = ruleOf(r.method, r.path)!.need;
    const path = r.path.replace(/:[a-z]+/g, 'matrix-x');
    for (const variant of variantsOf(path))
      for (const [name, c] of Object.entries(creds)) {
        const allowed =
          need === 'public' ||
          (c.role !== null &&
            (need === 'user' ||
              (roleScopes(c.role) as readonly string[]).includes(need === 'signup' ? 'users:admin' : need.scope)));
        const res = await fetch(`${app.url}${variant}`, {
          method: r.method,
          headers: {
            ...c.header,
            ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
          },
          ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { body: '{}' }),
        });
        await res.arrayBuffer();
        probes++;
        const passed = res.status !== 401 && res.status !== 403;
        const expectedRefusal = c.role === null ? 401 : 403;
        if (passed !== allowed || (!allowed && res.status !== expectedRefusal))
          wrong.push(
            `${r.method} ${variant} as ${name}: ${res.status} (${allowed ? 'allowed' : `refused with ${expectedRefusal}`} expected)`,
          );
      }
  }
  console.log(
    `auth matrix: ${unique.length} routes x 6 spellings x ${Object.keys(creds).length} credentials = ${probes} requests`,
  );
  expect(wrong).toEqual([]);
}, 120_000);

test('analytics.public: anonymous callers read the aggregate views and sessions, nothing else', async () => {
  await using app = await startAppliance({
    api: { auth: true, metrics_auth: true, rate_limit_per_minute: 1_000_000 },
    analytics: { public: true },
  });
  const wrong: string[] = [];
  const open: string[] = [];
  for (const r of ACCESS) {
    const res = await fetch(`${app.url}${r.path.replace(/:[a-z]+/g, 'richness')}`, {
      method: r.method,
      ...(r.method === 'GET' || r.method === 'DELETE'
        ? {}
        : { body: '{}', headers: { 'content-type': 'application/json' } }),
    });
    await res.arrayBuffer();
    const allowed = r.need === 'public' || (typeof r.need === 'object' && !!r.need.publicAnalytics);
    if (allowed && r.need !== 'public') open.push(`${r.method} ${r.path}`);
    if ((res.status !== 401) !== allowed && !(r.need === 'signup'))
      wrong.push(`${r.method} ${r.path}: ${res.status} (${allowed ? 'open' : '401'} expected)`);
  }
  expect(wrong).toEqual([]);
  expect(open).toEqual([
    'GET /api/sessions',
    'GET /api/sessions/:id',
    'GET /api/analytics/calendar/:metric',
    'GET /api/analytics/time-series',
    'GET /api/analytics/classes',
  ]);
}, 60_000);

test('the owner dimension: a private photo, by every route that names an image, exists for its owner and admins only', async () => {
  await using app = await startAppliance({ api: { auth: true, rate_limit_per_minute: 1_000_000 } });
  const keys: Record<string, string> = {};
  const roles = { ann: 'operator', bob: 'operator', vic: 'viewer', ada: 'admin' } as const;
  for (const [name, role] of Object.entries(roles)) {
    const u = await app.rt.users.create(name, role, null);
    keys[name] = await app.rt.keys.create(`k-${name}`, { user_id: u.id });
  }
  const as = (who: string, path: string, init: RequestInit = {}) =>
    fetch(app.url + path, { ...init, headers: { 'x-api-key': keys[who]!, ...(init.headers as object) } });
  const photo = new File([await Bun.file(`${COCO}/${PHOTO}`).bytes()], PHOTO);
  const up = new FormData();
  up.append('file', photo);
  up.append('private', 'true');
  const id = ((await (await as('ann', '/api/images', { method: 'POST', body: up })).json()) as { image_id: string })
    .image_id;
  // Every route of the table that names one image, so a new one is covered when it is added.
  const routes = ACCESS.filter((r) => r.path.startsWith('/api/images/:id'));
  const wrong: string[] = [];
  for (const who of ['bob', 'vic', 'ada', 'ann'])
    for (const r of routes) {
      const need = r.need as { scope: string };
      const scoped = roleScopes(roles[who as keyof typeof roles]).includes(need.scope as never);
      const sees = who === 'ann' || who === 'ada';
      // A delete by who may see it would end the test: only the refused ones are tried.
      if (r.method === 'DELETE' && sees && scoped) continue;
      const res = await as(who, r.path.replace(':id', id), {
        method: r.method,
        ...(r.method === 'PATCH' ? { body: '{"name":"x"}', headers: { 'content-type': 'application/json' } } : {}),
      });
      await res.arrayBuffer();
      const want = !scoped ? 403 : sees ? 200 : 404;
      if (res.status !== want) wrong.push(`${r.method} ${r.path} as ${who}: ${res.status} (${want} expected)`);
    }
  const listed = async (who: string) =>
    ((await (await as(who, '/api/images?limit=100')).json()) as { items: Array<{ image_id: string }> }).items.some(
      (i) => i.image_id === id,
    );
  const byId = async (who: string) =>
    (
      await as(who, '/api/search', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ image_id: id }),
      })
    ).status;
  const byImage = async (who: string) => {
    const q = new FormData();
    q.append('file', photo);
    const res = (await (await as(who, '/api/search', { method: 'POST', body: q })).json()) as {
      results: Array<{ image_id: string }>;
    };
    return res.results.some((x) => x.image_id === id);
  };
  const seen: Record<string, unknown[]> = {};
  for (const who of ['ann', 'ada', 'bob', 'vic']) seen[who] = [await listed(who), await byId(who), await byImage(who)];
  expect({ wrong, seen }).toEqual({
    wrong: [],
    seen: { ann: [true, 200, true], ada: [true, 200, true], bob: [false, 404, false], vic: [false, 404, false] },
  });
}, 60_000);
