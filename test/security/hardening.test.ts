/**
 * Hardening against a real appliance: security headers on every kind of answer, CORS for the
 * allow-list only, HTTPS from certificate files with the certificate reloaded when the files
 * change (a broken replacement keeps the old one), https_only, request bodies over the limit.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { startAppliance, tempDir, waitFor } from '../helpers/fixtures';
import { makeCerts } from '../helpers/certs';
import { configureLogs } from '../../appliance/shared/log';

/** The subject CN of the certificate a TLS server presents. */
function servedCn(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      s.end();
      resolve(Array.isArray(cn) ? cn.join() : String(cn));
    });
    s.on('error', reject);
  });
}

describe('hardening', () => {
  test('security headers on a 200, a 401 and a 404; CORS only for allowed origins, preflight before auth', async () => {
    await using app = await startAppliance({
      api: { auth: true, cors_origins: ['https://ops.example.com'], rate_limit_per_minute: 1_000_000 },
    });
    const heads = (r: Response) =>
      ['x-content-type-options', 'x-frame-options', 'content-security-policy', 'referrer-policy'].map((h) =>
        r.headers.get(h),
      );
    const want = ['nosniff', 'DENY', "default-src 'none'; frame-ancestors 'none'", 'no-referrer'];
    expect([
      heads(await fetch(`${app.url}/health`)),
      heads(await fetch(`${app.url}/api/images`)),
      heads(await app.api('/api/images/nope')),
    ]).toEqual([want, want, want]);
    // A request id on every answer: the caller's when well-formed, else a new one.
    const ids = [
      await fetch(`${app.url}/health`, { headers: { 'x-request-id': 'trace-42' } }),
      await fetch(`${app.url}/health`, { headers: { 'x-request-id': 'bad id; $(reboot)' } }),
    ].map((r) => r.headers.get('x-request-id'));
    expect([ids[0], ids[1]!]).toEqual(['trace-42', expect.stringMatching(/^[0-9a-f-]{36}$/)]);

    const allowed = await fetch(`${app.url}/api/images`, {
      headers: { origin: 'https://ops.example.com', 'x-api-key': app.key },
    });
    const other = await fetch(`${app.url}/api/images`, {
      headers: { origin: 'https://evil.example.net', 'x-api-key': app.key },
    });
    expect([
      allowed.headers.get('access-control-allow-origin'),
      other.headers.get('access-control-allow-origin'),
      other.status,
    ]).toEqual(['https://ops.example.com', null, 200]);
    const preflight = (origin: string) =>
      fetch(`${app.url}/api/images`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
      });
    const ok = await preflight('https://ops.example.com');
    const bad = await preflight('https://evil.example.net');
    expect([
      ok.status,
      ok.headers.get('access-control-allow-headers'),
      bad.status,
      bad.headers.get('access-control-allow-origin'),
    ]).toEqual([204, 'authorization, x-api-key, content-type', 401, null]);
  }, 60_000);

  test('HTTPS from files; a renewed certificate is served without a restart; a broken one is refused and the old kept', async () => {
    await using dir = await tempDir();
    const a = await makeCerts(join(dir.path, 'a'));
    const live = join(dir.path, 'live');
    await mkdir(live);
    await copyFile(a.cert, join(live, 'cert.pem'));
    await copyFile(a.key, join(live, 'key.pem'));
    await using app = await startAppliance({
      api: {
        auth: false,
        tls: { cert_file: join(live, 'cert.pem'), key_file: join(live, 'key.pem') },
        https_only: true,
        rate_limit_per_minute: 1_000_000,
      },
    });
    expect(app.url).toStartWith('https://');
    const ca = readFileSync(a.ca, 'utf8');
    const res = await fetch(`${app.url}/health`, { tls: { ca } });
    expect([res.status, res.headers.get('strict-transport-security')]).toEqual([200, 'max-age=31536000']);
    expect(await servedCn(app.url)).toBe('127.0.0.1');

    // A renewal: a new pair (another CA, so another certificate) written over the files.
    const b = await makeCerts(join(dir.path, 'b'));
    await writeFile(join(live, 'key.pem'), readFileSync(b.key));
    await writeFile(join(live, 'cert.pem'), readFileSync(b.cert));
    const caB = readFileSync(b.ca, 'utf8');
    await waitFor(
      async () => {
        try {
          return (await fetch(`${app.url}/health`, { tls: { ca: caB } })).status === 200;
        } catch {
          return false;
        }
      },
      10_000,
      'the renewed certificate served',
    );

    // A broken replacement: the appliance keeps serving the last good pair.
    // Waits for the watcher's own word that it refused the files, then checks the old pair serves.
    const lines: string[] = [];
    configureLogs({ sink: (l) => lines.push(l) });
    try {
      await writeFile(join(live, 'cert.pem'), 'not a certificate');
      await waitFor(() => lines.some((l) => l.includes('keeping the current one')), 10_000, 'the broken pair refused');
    } finally {
      configureLogs({ sink: (l) => process.stdout.write(`${l}\n`) });
    }
    expect((await fetch(`${app.url}/health`, { tls: { ca: caB } })).status).toBe(200);
  }, 60_000);

  test('https_only without a certificate refuses to start, saying why', async () => {
    await expect(startAppliance({ api: { https_only: true } })).rejects.toThrow('/api/https_only');
  }, 60_000);
});
