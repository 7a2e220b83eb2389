/** The S3 adapter against a real S3-compatible server (s3rver) on loopback. */
import { describe, expect, test } from 'bun:test';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { S3Bucket, type S3Settings } from '../../appliance/objects/s3';
import { tempDir } from '../helpers/fixtures';
import { S3_KEY, startS3 } from '../helpers/s3rver';

const settings = (endpoint: string, over: Partial<S3Settings> = {}): S3Settings => ({
  endpoint, region: 'us-east-1', bucket: 'fovea', path_style: true, ...S3_KEY, multipart_threshold_bytes: 5 << 20, part_size_bytes: 5 << 20, ...over,
});
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

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
    await bucket.putFile('p/box/s.jpg', join(dir.path, 's'), small.length, { sha256Hex: sha(small), contentType: 'image/jpeg', metadata: { device: 'box', stream: 'door' } });
    await bucket.putFile('p/box/l.bin', join(dir.path, 'l'), large.length, { sha256Hex: sha(large), contentType: 'application/octet-stream', metadata: { device: 'box' } });
    const got = await fetch(await bucket.presign('p/box/l.bin', 60));
    expect([
      sha((await bucket.get('p/box/s.jpg'))!), await bucket.head('p/box/s.jpg'), got.status, sha(new Uint8Array(await got.arrayBuffer())), await bucket.head('p/box/none'),
    ]).toEqual([sha(small), { size: small.length, sha256: sha(small) }, 200, sha(large), null]);
    bucket.close();
  }, 60_000);

  test('an unknown key id, a missing bucket and a server that is gone each fail with their own kind', async () => {
    await using s3 = await startS3();
    await using dir = await tempDir();
    await Bun.write(join(dir.path, 'f'), 'x');
    const kind = async (b: S3Bucket, file = 'f', size = 1) => {
      try { await b.putFile('k', join(dir.path, file), size, { sha256Hex: sha(new TextEncoder().encode('x')), contentType: 'text/plain', metadata: {} }); return 'ok'; } catch (e) { return (e as { kind: string }).kind; }
    };
    const wrongKey = new S3Bucket(settings(s3.endpoint, { access_key_id: 'NOT-A-KEY' }));
    const noBucket = new S3Bucket(settings(s3.endpoint, { bucket: 'missing' }));
    const good = new S3Bucket(settings(s3.endpoint));
    // A local file that is gone, for a single PUT and for a multipart upload: the bucket is not blamed.
    const before = [await kind(wrongKey), await kind(noBucket), await kind(good, 'gone'), await kind(good, 'gone', 6 << 20), await kind(good)];
    await s3.stop();
    expect([...before, await kind(good)]).toEqual(['unauthorized', 'no_bucket', 'local', 'local', 'ok', 'unreachable']);
  }, 60_000);
});
