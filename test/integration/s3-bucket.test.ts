/** The S3 adapter against a real S3-compatible server (s3rver) on loopback. */
import { describe, expect, test } from 'bun:test';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { S3Bucket, type S3Settings } from '../../appliance/objects/s3';
import { tempDir } from '../helpers/fixtures';
import { S3_KEY, startS3 } from '../helpers/s3rver';

const settings = (endpoint: string, over: Partial<S3Settings> = {}): S3Settings => ({
  endpoint,
  region: 'us-east-1',
  bucket: 'fovea',
  path_style: true,
  ...S3_KEY,
  multipart_threshold_bytes: 5 << 20,
  part_size_bytes: 5 << 20,
  ...over,
});
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** 'ok', or the failure kind of a PUT of a one-byte 'x' file (checksum and type as sync sends them). */
async function putOutcome(b: S3Bucket, key: string, path: string, size: number): Promise<string> {
  try {
    await b.putFile(key, path, size, {
      sha256Hex: sha(new TextEncoder().encode('x')),
      contentType: 'text/plain',
      metadata: {},
    });
    return 'ok';
  } catch (e) {
    return (e as { kind: string }).kind;
  }
}

describe('S3 bucket adapter', () => {
  test('a small and a multipart object land with their bytes and metadata; a presigned URL downloads them', async () => {
    await using s3 = await startS3();
    await using dir = await tempDir();
    const bucket = new S3Bucket(settings(s3.endpoint));
    const small = randomBytes(40_000);
    const large = randomBytes(12 * 1024 * 1024 + 123);
    await Bun.write(join(dir.path, 's'), small);
    await Bun.write(join(dir.path, 'l'), large);
    await bucket.probe();
    await bucket.putFile('p/box/s.jpg', join(dir.path, 's'), small.length, {
      sha256Hex: sha(small),
      contentType: 'image/jpeg',
      metadata: { device: 'box', stream: 'door' },
    });
    await bucket.putFile('p/box/l.bin', join(dir.path, 'l'), large.length, {
      sha256Hex: sha(large),
      contentType: 'application/octet-stream',
      metadata: { device: 'box' },
    });
    const got = await fetch(await bucket.presign('p/box/l.bin', 60));
    expect([
      sha((await bucket.get('p/box/s.jpg'))!),
      await bucket.head('p/box/s.jpg'),
      got.status,
      sha(new Uint8Array(await got.arrayBuffer())),
      await bucket.head('p/box/none'),
    ]).toEqual([sha(small), { size: small.length, sha256: sha(small) }, 200, sha(large), null]);
    bucket.close();
  }, 60_000);

  test('an unknown key id, a missing bucket and a server that is gone each fail with their own kind', async () => {
    await using s3 = await startS3();
    await using dir = await tempDir();
    await Bun.write(join(dir.path, 'f'), 'x');
    const kind = (b: S3Bucket, file = 'f', size = 1) => putOutcome(b, 'k', join(dir.path, file), size);
    const wrongKey = new S3Bucket(settings(s3.endpoint, { access_key_id: 'NOT-A-KEY' }));
    const noBucket = new S3Bucket(settings(s3.endpoint, { bucket: 'missing' }));
    const good = new S3Bucket(settings(s3.endpoint));
    // A local file that is gone, for a single PUT and for a multipart upload: the bucket is not blamed.
    const before = [
      await kind(wrongKey),
      await kind(noBucket),
      await kind(good, 'gone'),
      await kind(good, 'gone', 6 << 20),
      await kind(good),
    ];
    // A probe's 403 has no body, so no error code: the message says the status instead.
    const probe = await wrongKey.probe().then(
      () => 'ok',
      (e: Error) => e.message,
    );
    await s3.stop();
    expect([...before, await kind(good)]).toEqual(['unauthorized', 'no_bucket', 'local', 'local', 'ok', 'unreachable']);
    expect(probe).toBe('the bucket refused the credentials (HTTP 403)');
  }, 60_000);

  test('https with a private CA: trusted through ca, refused without it', async () => {
    await using s3 = await startS3(['fovea'], undefined, { tls: true });
    await using dir = await tempDir();
    const body = randomBytes(1000);
    await Bun.write(join(dir.path, 'f'), body);
    const put = async (b: S3Bucket) => {
      try {
        await b.putFile('tls/f.bin', join(dir.path, 'f'), body.length, {
          sha256Hex: sha(body),
          contentType: 'application/octet-stream',
          metadata: {},
        });
        return 'ok';
      } catch (e) {
        return (e as { kind: string }).kind;
      }
    };
    const trusted = new S3Bucket(settings(s3.endpoint, { ca: await Bun.file(s3.caFile!).bytes() }));
    const untrusted = new S3Bucket(settings(s3.endpoint));
    expect([
      s3.endpoint.startsWith('https:'),
      await put(trusted),
      sha((await trusted.get('tls/f.bin'))!),
      await put(untrusted),
    ]).toEqual([true, 'ok', sha(body), 'unreachable']);
    trusted.close();
    untrusted.close();
  }, 60_000);

  test('no key in the config: the standard AWS chain (here the environment) supplies it', async () => {
    await using s3 = await startS3();
    await using dir = await tempDir();
    await Bun.write(join(dir.path, 'f'), 'x');
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    const attempt = async (id: string) => {
      process.env.AWS_ACCESS_KEY_ID = id;
      process.env.AWS_SECRET_ACCESS_KEY = S3_KEY.secret_access_key;
      const b = new S3Bucket(settings(s3.endpoint, { access_key_id: '', secret_access_key: '' }));
      try {
        return await putOutcome(b, 'chain/f', join(dir.path, 'f'), 1);
      } finally {
        b.close();
      }
    };
    try {
      expect([await attempt(S3_KEY.access_key_id), await attempt('NOT-A-KEY')]).toEqual(['ok', 'unauthorized']);
    } finally {
      for (const [k, v] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }, 60_000);
});
