import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import sharp from 'sharp';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGES, fileBlob, form, startAppliance, type Appliance } from '../helpers/fixtures';
import { pngClaiming } from '../helpers/png';

let app: Appliance;

async function objectCount(): Promise<number> {
  const root = join(app.state, 'objects');
  const dirs = await readdir(root).catch(() => []);
  let n = 0;
  for (const d of dirs) n += (await readdir(join(root, d))).length;
  return n;
}
const rowCount = async () => (await app.rt.images.list({}, 1, 1)).total;

async function upload(blob: Blob, name: string, extra: Record<string, string> = {}) {
  const res = await app.api('/api/images', { method: 'POST', body: form({ file: [blob, name], ...extra }) });
  return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code ?? 'ok' };
}

beforeAll(async () => {
  app = await startAppliance();
  const res = await app.api('/api/images', {
    method: 'POST',
    body: form({ file: await fileBlob(join(IMAGES, 'dog.jpg')) }),
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await app[Symbol.asyncDispose]();
});

describe('bad uploads', () => {
  test('each gets its status and error code, and the store is unchanged', async () => {
    const [rows, objects] = [await rowCount(), await objectCount()];
    const dog = new Uint8Array(await Bun.file(join(IMAGES, 'dog.jpg')).arrayBuffer());
    const results = {
      truncatedJpeg: await upload(new Blob([dog.subarray(0, Math.floor(dog.length / 2))]), 'half.jpg'),
      textAsPng: await upload(new Blob(['hello, I am not an image']), 'text.png'),
      elevenMegabytes: await upload(new Blob([new Uint8Array(11 * 1024 * 1024)]), 'big.jpg'),
      pngBomb: await upload(new Blob([pngClaiming(50000, 50000)]), 'bomb.png'),
      zeroBytes: await upload(new Blob([]), 'empty.jpg'),
      gif: await upload(
        new Blob([
          await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } })
            .gif()
            .toBuffer(),
        ]),
        'x.gif',
      ),
    };
    expect(results).toEqual({
      truncatedJpeg: { status: 422, code: 'unprocessable_image' },
      textAsPng: { status: 415, code: 'unsupported_media_type' },
      elevenMegabytes: { status: 413, code: 'payload_too_large' },
      pngBomb: { status: 413, code: 'payload_too_large' },
      zeroBytes: { status: 415, code: 'unsupported_media_type' },
      gif: { status: 415, code: 'unsupported_media_type' },
    });
    expect([await rowCount(), await objectCount(), await app.rt.index.consistent()]).toEqual([rows, objects, true]);
  });

  test('a missing file part is 422 and a malformed multipart body is 400', async () => {
    const missing = await app.api('/api/images', { method: 'POST', body: form({ name: 'no file' }) });
    const malformed = await app.api('/api/images', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="file"\r\n\r\nunterminated',
    });
    const badJson = await app.api('/api/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"image_id":',
    });
    expect([missing.status, malformed.status, badJson.status]).toEqual([422, 400, 400]);
    expect(((await missing.json()) as { error: { code: string; message: string } }).error.message).toContain('file');
  });

  test('a PNG named .jpg is accepted as what it is: content decides, not the name', async () => {
    const png = await sharp(join(IMAGES, 'person.jpg')).resize(200).png().toBuffer();
    const res = await app.api('/api/images', {
      method: 'POST',
      body: form({ file: [new Blob([png]), 'really-a-png.jpg'] }),
    });
    const body = (await res.json()) as { mime: string; file_name: string };
    expect([res.status, body.mime, body.file_name]).toEqual([201, 'image/png', 'really-a-png.jpg']);
  });

  test('search with neither file nor image_id is 422; with an unknown id 404', async () => {
    const json = (o: object) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(o),
    });
    const none = await app.api('/api/search', json({ limit: 3 }));
    const unknown = await app.api('/api/search', json({ image_id: '00000000-0000-7000-8000-000000000000' }));
    const badLimit = await app.api('/api/search', json({ image_id: 'x', limit: 500 }));
    expect([none.status, unknown.status, badLimit.status]).toEqual([422, 404, 422]);
  });
});

describe('API keys', () => {
  test('missing or wrong keys are 401; both header forms work; /health stays open', async () => {
    const plain = await fetch(`${app.url}/api/images`);
    const wrong = await fetch(`${app.url}/api/images`, { headers: { 'x-api-key': `fov_00000000_${'A'.repeat(43)}` } });
    const garbage = await fetch(`${app.url}/api/images`, { headers: { authorization: 'Bearer nope' } });
    const bearer = await fetch(`${app.url}/api/images`, { headers: { authorization: `Bearer ${app.key}` } });
    const health = await fetch(`${app.url}/health`);
    expect([plain.status, wrong.status, garbage.status, bearer.status, health.status]).toEqual([
      401, 401, 401, 200, 200,
    ]);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  test('an unauthenticated upload is refused before its body is read', async () => {
    const res = await fetch(`${app.url}/api/images`, {
      method: 'POST',
      body: form({ file: new Blob([new Uint8Array(8 * 1024 * 1024)]) }),
    });
    expect(res.status).toBe(401);
  });

  test('a revoked key stops working at once', async () => {
    const token = await app.rt.keys.create('short-lived');
    const before = await fetch(`${app.url}/api/images`, { headers: { 'x-api-key': token } });
    await app.rt.keys.revoke('short-lived');
    const after = await fetch(`${app.url}/api/images`, { headers: { 'x-api-key': token } });
    expect([before.status, after.status]).toEqual([200, 401]);
  });
});

describe('rate limit', () => {
  test('past the per-minute budget a key gets 429 with Retry-After', async () => {
    await using limited = await startAppliance({ api: { rate_limit_per_minute: 5 } });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const res = await limited.api('/api/images');
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });
});
