/**
 * The `fovea` command as a user runs it: a separate process, real files, the demo serving a search.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { editorSchema } from '../../appliance/config/schema';
import { migrations } from '../../appliance/store/migrations';
import { JwtVerifier } from '../../appliance/auth/jwt';
import { IMAGES, MODELS_DIR, SHARED, ensureModel, fileBlob, form, tempDir } from '../helpers/fixtures';
import { foveaCli } from '../helpers/process';

const main = join(import.meta.dir, '../../appliance/main.ts');

const fovea = foveaCli;

describe('fovea CLI', () => {
  test('every command answers --help with its usage and exit 0', async () => {
    const names = [
      'serve',
      'demo',
      'apikey',
      'user',
      'models',
      'images',
      'db',
      'backup',
      'restore',
      'watch',
      'token',
      'fleet',
      'classifiers',
      'config',
      'version',
    ];
    const runs = await Promise.all(names.map((c) => fovea([c, '--help'], {})));
    expect(runs.map((r, i) => [r.code, r.out.startsWith(`Usage: fovea ${names[i]}`)])).toEqual(
      names.map(() => [0, true]),
    );
    const unknown = await fovea(['frobnicate'], {});
    expect([unknown.code, unknown.err]).toEqual([2, expect.stringContaining("unknown command 'frobnicate'")]);
  });

  test('config check fails with file:line for a bad file and passes for a good one', async () => {
    await using dir = await tempDir();
    const bad = join(dir.path, 'bad.yaml');
    const good = join(dir.path, 'good.yaml');
    await writeFile(bad, 'api:\n  port: eighty\n');
    await writeFile(good, 'api:\n  port: 9000\n');
    const b = await fovea(['config', 'check', '--config', bad], {});
    const g = await fovea(['config', 'check', '--config', good], {});
    expect([b.code, b.err.trim(), g.code]).toEqual([
      1,
      `fovea config: ${bad}:2: /api/port: expected integer (got "eighty")`,
      0,
    ]);
  });

  test('the committed JSON Schema for editors matches the config schema', async () => {
    const committed = await Bun.file(join(import.meta.dir, '../../appliance/config/fovea.schema.json')).json();
    expect(committed).toEqual(editorSchema());
  });

  test('db status and migrate; apikey create, list, revoke', async () => {
    await using dir = await tempDir();
    const env = { FOVEA_STATE_DIR: dir.path };
    const migrate = await fovea(['db', 'migrate'], env);
    const st = await fovea(['db', 'status'], env);
    const key = (await fovea(['apikey', 'create', '--name', 'ops'], env)).out.trim();
    const dup = await fovea(['apikey', 'create', '--name', 'ops'], env);
    const revoke = await fovea(['apikey', 'revoke', 'ops'], env);
    const list = await fovea(['apikey', 'list'], env);
    expect([
      migrate.out.split('\n')[0],
      st.out
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).slice(0, 3).join(' ')),
      key,
      dup.code,
      revoke.code,
      list.out.includes('revoked'),
    ]).toEqual([
      `applied: ${migrations.map((m) => m.version).join(', ')}`,
      migrations.map((m) => `${String(m.version).padStart(4, '0')} ${m.name} applied`),
      expect.stringMatching(/^fov_[0-9a-f]{8}_/),
      2,
      0,
      true,
    ]);
    expect(await Bun.file(join(dir.path, 'api-keys.json')).text()).not.toContain(key);
  });

  test('token signs an HS256 JWT the appliance accepts; without a secret it says so', async () => {
    const secret = 'cli-test-secret-that-is-at-least-32-bytes';
    const ok = await fovea(['token', '--sub', 'dashboard', '--ttl', '60', '--scope', 'events:read'], {
      FOVEA_API_JWT_HS256_SECRET: secret,
    });
    const verifier = (await JwtVerifier.create({
      hs256_secret: secret,
      eddsa_public_keys: [],
      audience: 'fovea',
      issuer: '',
      clock_tolerance_s: 0,
    }))!;
    const none = await fovea(['token', '--sub', 'x'], {});
    expect([ok.code, await verifier.verify(ok.out.trim()), none.code, none.err]).toEqual([
      0,
      { subject: 'dashboard', scopes: ['events:read'] },
      2,
      expect.stringContaining('no api.jwt.hs256_secret'),
    ]);
    expect(ok.err).not.toContain(secret);
  });

  test('demo pulls the model, registers the samples, prints a working key and sign-in, and serves', async () => {
    await ensureModel();
    await using dir = await tempDir();
    const p = Bun.spawn([process.execPath, main, 'demo'], {
      env: {
        ...process.env,
        FOVEA_STATE_DIR: dir.path,
        FOVEA_API_PORT: '0',
        FOVEA_MODELS_DIR: MODELS_DIR,
        FOVEA_SHARED: SHARED,
        FOVEA_LOG_LEVEL: 'warn',
      },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    try {
      const reader = p.stdout.getReader();
      let text = '';
      while (!/API key \(shown once\): (\S+)/.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`demo ended early: ${text}`);
        text += new TextDecoder().decode(value);
      }
      const key = /API key \(shown once\): (\S+)/.exec(text)![1]!;
      const url = /serving at (http:\/\/\S+)/.exec(text)![1]!;
      const list = (await (await fetch(`${url}/api/images?tag=sample`, { headers: { 'x-api-key': key } })).json()) as {
        total: number;
      };
      const search = await fetch(`${url}/api/search`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: form({ file: await fileBlob(join(IMAGES, 'coco', '000000000139.jpg')), limit: '1' }),
      });
      const top = ((await search.json()) as { results: Array<{ metadata: { name: string } }> }).results[0]!.metadata
        .name;
      // The printed sign-in works: the person signs in with it as the demo's admin.
      const [, user, password] = /sign in as (\S+) \/ (\S+)/.exec(text)!;
      const login = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: user, password }),
      });
      const signedIn = ((await login.json()) as { user: { name: string; role: string } }).user;
      const page = await fetch(`${url}/`);
      expect({ total: list.total, top, signedIn, page: page.status }).toEqual({
        total: 12,
        top: 'COCO 000000000139',
        signedIn: expect.objectContaining({ name: 'demo', role: 'admin' }),
        page: 200,
      });
    } finally {
      p.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    }
  }, 120_000);
});
