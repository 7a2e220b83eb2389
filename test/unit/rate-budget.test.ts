/**
 * Rate limits that fit a person: ten simulated minutes of the dashboard's Live page (two streams'
 * frames and overlays every second, the stream list every two seconds, System's status reads) on a
 * fake clock never meet a 429 under the default limits, while an API key making the same reads is
 * held to its per-key budget; a 200-photo grid's thumbnails fit too.
 */
import { DoorLimits } from '../../appliance/auth/limits';
import { describe, expect, test } from 'bun:test';
import { Elysia } from 'elysia';
import { authGuard } from '../../appliance/api/auth';
import { budgetOf } from '../../appliance/api/budget';
import type { Identity } from '../../appliance/auth/identity';

const person: Identity = {
  kind: 'login',
  subject: 'ann',
  userId: 'u1',
  role: 'viewer',
  scopes: ['streams:read', 'images:read', 'events:read', 'publish:read'],
};
const client: Identity = { kind: 'key', subject: 'script', userId: 'u1', role: 'viewer', scopes: person.scopes };

function box(now: () => number) {
  const ok = () => ({ ok: true });
  return new Elysia()
    .use(
      authGuard({
        required: true,
        limits: new DoorLimits({ clients: 100, people: 3000 }, now),
        identify: async (t) => (t === 'session' ? person : client),
        noUsers: () => false,
      }),
    )
    .get('/api/streams', ok)
    .get('/api/streams/:id/frame', ok)
    .get('/api/streams/:id/latest', ok)
    .get('/api/images/:id/thumbnail', ok)
    .get('/api/publish/status', ok)
    .onError(({ error }) => new Response(null, { status: (error as { status?: number }).status ?? 500 }));
}

/** The Live page's reads for one second of wall time, at tick t (seconds). */
const liveSecond = (t: number) => [
  ...['table', 'cam'].flatMap((s) => [`/api/streams/${s}/frame`, `/api/streams/${s}/latest`]),
  ...(t % 2 === 0 ? ['/api/streams'] : []),
  ...(t % 5 === 0 ? ['/api/publish/status'] : []),
];

async function replay(token: string, seconds: number, paths: (t: number) => string[]) {
  let clock = 0;
  const app = box(() => clock);
  const statuses = new Map<number, number>();
  for (let t = 0; t < seconds; t++) {
    clock = t * 1000;
    for (const p of paths(t)) {
      const r = await app.handle(
        new Request(`http://localhost${p}`, { headers: { authorization: `Bearer ${token}` } }),
      );
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  }
  return Object.fromEntries(statuses);
}

describe('rate budgets', () => {
  test('which budget: people for session reads and anyone’s media reads; clients for the rest', () => {
    expect([
      budgetOf('GET', '/api/events', 'login'),
      budgetOf('GET', '/api/images/abc/thumbnail', 'key'),
      budgetOf('GET', '/api/streams/cam/frame', null),
      budgetOf('GET', '/api/events', 'key'),
      budgetOf('POST', '/api/images', 'login'),
      budgetOf('DELETE', '/api/images/abc', 'login'),
    ]).toEqual(['people', 'people', 'people', 'clients', 'clients', 'clients']);
  });

  test('ten minutes of Live as a signed-in person: no 429', async () => {
    expect(await replay('session', 600, liveSecond)).toEqual({ 200: 600 * 4 + 300 + 120 });
  });

  test('an API key polling harder than Live (162 reads a minute): its media reads pass, the others are held to 100 a minute', async () => {
    const s = await replay('key', 600, (t) => [...liveSecond(t), '/api/streams', '/api/streams']);
    expect({ ok: s[200], limited: s[429] }).toEqual({ ok: expect.atLeast(2400), limited: expect.above(0) });
  });

  test('a 200-photo grid at once, then every second of a minute of Live: no 429', async () => {
    const grid = Array.from({ length: 200 }, (_, i) => `/api/images/${i}/thumbnail`);
    expect(await replay('session', 60, (t) => [...(t === 0 ? grid : []), ...liveSecond(t)])).toEqual({
      200: 200 + 60 * 4 + 30 + 12,
    });
  });
});
