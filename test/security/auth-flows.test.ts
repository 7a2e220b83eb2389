/**
 * Users and sessions end to end against a real appliance: the first signup, roles, login (OAuth2
 * form), refresh rotation and reuse detection, logout, brute-force lockout, a password reset with
 * the token the real `fovea user reset-password` prints, user-owned API keys with scopes, and the
 * public-read mode.
 */
import { configureLogs } from '../../appliance/shared/log';
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fileBlob, form, IMAGES, startAppliance, waitFor } from '../helpers/fixtures';
import { foveaCli } from '../helpers/process';

const formBody = (f: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(f).toString(),
});
const json = (body: unknown, method = 'POST') => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  user: { role: string };
}

async function cli(state: string, ...args: string[]): Promise<string> {
  const config = join(state, 'cli.yaml');
  await Bun.write(config, stringify({ state_dir: state }));
  const r = await foveaCli([...args, '--config', config]);
  if (r.code !== 0) throw new Error(`fovea ${args.join(' ')}: ${r.err}`);
  return r.out;
}

describe('auth flows', () => {
  test('first signup, roles, login, refresh rotation, reuse detection, logout', async () => {
    // A grace of 1 s for a spent refresh token (10 s by default), so the test can pass it.
    await using app = await startAppliance({
      api: { auth: true, rate_limit_per_minute: 1_000_000, login: { refresh_reuse_grace_s: 1 } },
    });
    const u = app.url;
    // The first user of an empty box signs up alone and becomes admin, whatever role it asks for.
    const first = await fetch(
      `${u}/api/auth/signup`,
      formBody({ username: 'ann', password: 'ann password 1', role: 'viewer' }),
    );
    expect([first.status, ((await first.json()) as { role: string }).role]).toEqual([201, 'admin']);
    expect(
      (await fetch(`${u}/api/auth/signup`, formBody({ username: 'eve', password: 'eve password 1' }))).status,
    ).toBe(401);

    const login = async (username: string, password: string) =>
      fetch(`${u}/api/auth/login`, formBody({ grant_type: 'password', username, password }));
    const ann = (await (await login('ann', 'ann password 1')).json()) as Tokens;
    expect([ann.token_type, ann.expires_in, ann.user.role]).toEqual(['bearer', 900, 'admin']);
    for (const [name, role] of [
      ['olga', 'operator'],
      ['vic', 'viewer'],
    ]) {
      expect(
        (
          await fetch(`${u}/api/auth/signup`, {
            ...json({ username: name, password: `${name} password 1`, role }),
            headers: { 'content-type': 'application/json', ...bearer(ann.access_token) },
          })
        ).status,
      ).toBe(201);
    }
    const vic = (await (await login('vic', 'vic password 1')).json()) as Tokens;
    const me = (await (await fetch(`${u}/api/auth/me`, { headers: bearer(vic.access_token) })).json()) as {
      role: string;
      scopes: string[];
    };
    expect([me.role, me.scopes.includes('images:write')]).toEqual(['viewer', false]);
    const upload = () => form({ file: [new Blob([new Uint8Array(10)]), 'x.jpg'] });
    expect((await fetch(`${u}/api/images`, { headers: bearer(vic.access_token) })).status).toBe(200);
    const refused = await fetch(`${u}/api/images`, {
      method: 'POST',
      headers: bearer(vic.access_token),
      body: upload(),
    });
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([
      403,
      'forbidden',
    ]);

    // Refresh: a new pair; the spent token replayed revokes the family, the newest token included.
    const r2 = (await (
      await fetch(`${u}/api/auth/refresh`, formBody({ grant_type: 'refresh_token', refresh_token: vic.refresh_token }))
    ).json()) as Tokens;
    expect([typeof r2.access_token, r2.refresh_token !== vic.refresh_token]).toEqual(['string', true]);
    // Within the grace (a second tab refreshing at the same moment) it gets the same successor.
    const again = (await (
      await fetch(`${u}/api/auth/refresh`, formBody({ refresh_token: vic.refresh_token }))
    ).json()) as Tokens;
    expect(again.refresh_token).toBe(r2.refresh_token);
    // After the grace, a replay revokes the family and is logged with the session and the address.
    const lines: string[] = [];
    configureLogs({ level: 'warn', sink: (l) => lines.push(l) });
    await Bun.sleep(1100);
    try {
      expect((await fetch(`${u}/api/auth/refresh`, formBody({ refresh_token: vic.refresh_token }))).status).toBe(401);
    } finally {
      configureLogs({ level: 'error', sink: (l) => process.stdout.write(`${l}\n`) });
    }
    expect((await fetch(`${u}/api/auth/refresh`, formBody({ refresh_token: r2.refresh_token }))).status).toBe(401);
    const said = lines.map((l) => JSON.parse(l)).find((l) => l.msg?.startsWith('refresh token used again'));
    expect(said).toEqual(
      expect.objectContaining({
        session: expect.any(String),
        user: 'vic',
        address: expect.stringMatching(/127\.0\.0\.1/),
      }),
    );
    expect(JSON.stringify(said)).not.toContain(vic.refresh_token);
    // Logout ends a session.
    const olga = (await (await login('olga', 'olga password 1')).json()) as Tokens;
    expect((await fetch(`${u}/api/auth/logout`, formBody({ refresh_token: olga.refresh_token }))).status).toBe(204);
    expect((await fetch(`${u}/api/auth/refresh`, formBody({ refresh_token: olga.refresh_token }))).status).toBe(401);
  }, 60_000);

  test('brute force: wrong passwords give 401, then 429 with Retry-After, even for the right password', async () => {
    await using app = await startAppliance({
      api: {
        auth: true,
        rate_limit_per_minute: 1_000_000,
        login: {
          access_ttl_s: 900,
          refresh_ttl_s: 86_400,
          free_attempts: 3,
          lockout_s: 60,
          lockout_max_s: 900,
          per_ip_per_minute: 1000,
        },
      },
    });
    await fetch(`${app.url}/api/auth/signup`, formBody({ username: 'ann', password: 'ann password 1' }));
    const tryLogin = (password: string) => fetch(`${app.url}/api/auth/login`, formBody({ username: 'ann', password }));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await tryLogin(`guess ${i} ${i}${i}${i}`)).status);
    const locked = await tryLogin('ann password 1');
    expect([statuses, locked.status, Number(locked.headers.get('retry-after'))]).toEqual([
      [401, 401, 401, 429],
      429,
      expect.above(0),
    ]); // the 3rd wrong password locks
    // An unknown user name is refused the same way (no user enumeration).
    const ghost = await fetch(
      `${app.url}/api/auth/login`,
      formBody({ username: 'nobody', password: 'whatever 12345' }),
    );
    expect([ghost.status, ((await ghost.json()) as { error: { message: string } }).error.message]).toEqual([
      401,
      'wrong user name or password',
    ]);
  }, 60_000);

  test('reset with the token the CLI prints; older tokens stop working; user-owned keys with scopes', async () => {
    await using app = await startAppliance({ api: { auth: true, rate_limit_per_minute: 1_000_000 } });
    const u = app.url;
    await fetch(`${u}/api/auth/signup`, formBody({ username: 'ann', password: 'ann password 1' }));
    const ann = (await (
      await fetch(`${u}/api/auth/login`, formBody({ username: 'ann', password: 'ann password 1' }))
    ).json()) as Tokens;
    // The real CLI, as an operator on the box would run it, while the appliance runs.
    const out = await cli(app.state, 'user', 'add', 'vic', '--role', 'viewer');
    const token = /^(fovr_\S+)/.exec(out)![1]!;
    expect((await fetch(`${u}/api/auth/reset`, formBody({ token, password: 'vic password 1' }))).status).toBe(200);
    expect((await fetch(`${u}/api/auth/reset`, formBody({ token, password: 'vic password 2' }))).status).toBe(401);
    const vic = (await (
      await fetch(`${u}/api/auth/login`, formBody({ username: 'vic', password: 'vic password 1' }))
    ).json()) as Tokens;
    // Revocation compares the token's iat, in whole seconds: the reset must fall in a later second.
    const iat = (JSON.parse(Buffer.from(vic.access_token.split('.')[1]!, 'base64url').toString()) as { iat: number })
      .iat;
    await waitFor(() => Math.floor(Date.now() / 1000) > iat, 2_000, 'the second after the token was issued');
    const again = /^(fovr_\S+)/.exec(await cli(app.state, 'user', 'reset-password', 'vic'))![1]!;
    await fetch(`${u}/api/auth/reset`, formBody({ token: again, password: 'vic password 3' }));
    expect((await fetch(`${u}/api/images`, { headers: bearer(vic.access_token) })).status).toBe(401);

    // A key for vic (viewer) asking for images:write gets only what vic's role has.
    const made = await fetch(`${u}/api/keys`, {
      ...json({ name: 'vic-reader', user: 'vic', scopes: ['images:read', 'images:write'] }),
      headers: { 'content-type': 'application/json', ...bearer(ann.access_token) },
    });
    const key = ((await made.json()) as { key: string }).key;
    const jpeg = await fileBlob(join(IMAGES, 'dog.jpg'), 'image/jpeg');
    expect([
      (await fetch(`${u}/api/images`, { headers: { 'x-api-key': key } })).status,
      (
        await fetch(`${u}/api/images`, {
          method: 'POST',
          headers: { 'x-api-key': key },
          body: form({ file: [jpeg, 'dog.jpg'] }),
        })
      ).status,
    ]).toEqual([200, 403]);
    // Its user removed, the key stops working.
    expect((await fetch(`${u}/api/users/vic`, { method: 'DELETE', headers: bearer(ann.access_token) })).status).toBe(
      204,
    );
    expect((await fetch(`${u}/api/images`, { headers: { 'x-api-key': key } })).status).toBe(401);
    expect((await fetch(`${u}/api/users/ann`, { method: 'DELETE', headers: bearer(ann.access_token) })).status).toBe(
      400,
    );
  }, 60_000);

  test('public_read: anonymous callers read the views, never upload, delete or manage', async () => {
    await using app = await startAppliance({
      api: { auth: true, public_read: true, rate_limit_per_minute: 1_000_000 },
    });
    const u = app.url;
    expect([
      (await fetch(`${u}/api/images`)).status,
      (await fetch(`${u}/api/streams`)).status,
      (await fetch(`${u}/api/events`)).status,
      (
        await fetch(`${u}/api/images`, {
          method: 'POST',
          body: form({ file: [new Blob([new Uint8Array(10)]), 'x.jpg'] }),
        })
      ).status,
      (await fetch(`${u}/api/images/x`, { method: 'DELETE' })).status,
      (await fetch(`${u}/api/keys`)).status,
      (await fetch(`${u}/api/sync`)).status,
    ]).toEqual([200, 200, 200, 401, 401, 401, 401]);
  }, 60_000);
});
