/**
 * The auth matrix: every route the app itself registers × {no credentials, viewer, operator,
 * admin, wrong key, expired JWT, JWT signed with another key, alg none}. A route with no rule in
 * the access table fails the test (and so does a rule with no route); each combination must pass
 * the guard exactly when the table and the role allow it: refused ones answer 401 (no or bad
 * credential) or 403 (a valid one without the scope), allowed ones anything but those.
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { startAppliance } from '../helpers/fixtures';
import { appOf } from '../../appliance/compose/server';
import { ACCESS, ruleOf } from '../../appliance/api/access';
import { roleScopes, type Role } from '../../appliance/auth/roles';
import { createLogger } from '../../appliance/shared/log';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

test('every route × every kind of credential: only the allowed combinations pass', async () => {
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
    for (const [name, c] of Object.entries(creds)) {
      const allowed =
        need === 'public' ||
        (c.role !== null &&
          (need === 'user' ||
            (roleScopes(c.role) as readonly string[]).includes(need === 'signup' ? 'users:admin' : need.scope)));
      const res = await fetch(`${app.url}${path}`, {
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
          `${r.method} ${r.path} as ${name}: ${res.status} (${allowed ? 'allowed' : `refused with ${expectedRefusal}`} expected)`,
        );
    }
  }
  console.log(`auth matrix: ${unique.length} routes x ${Object.keys(creds).length} credentials = ${probes} requests`);
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
