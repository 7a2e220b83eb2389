import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { copyFile, writeFile } from 'node:fs/promises';
import { builtinCatalog, findModel } from '../../appliance/models/catalog';
import { pullModel, verifiedPath } from '../../appliance/models/pull';
import { openSession } from '../../appliance/inference/onnx';
import { createLogger } from '../../appliance/shared/log';
import { SHARED, tempDir } from '../helpers/fixtures';

const catalog = builtinCatalog();
const embed = findModel(catalog, 'mobilenetv2-embed@1');
const log = createLogger({ test: true });

describe('models pull', () => {
  test('from upstream: the classifier is downloaded, verified, and the embedding output derived', async () => {
    await using dir = await tempDir();
    // The network is closed here: serve the pinned upstream bytes through the fetcher, nothing else.
    const upstream = new Uint8Array(await Bun.file(join(SHARED, 'models/mobilenetv2-12-int8.onnx')).arrayBuffer());
    const urls: string[] = [];
    const outcome = await pullModel(embed, catalog, {
      dir: dir.path,
      fetcher: async (u) => {
        urls.push(u);
        return new Response(upstream);
      },
    });
    const session = await openSession(await verifiedPath(embed, dir.path), {
      providers: ['cpu'],
      threads: 1,
      log,
      ref: 'x',
    });
    expect([outcome, urls, session.outputNames]).toEqual(['download', [embed.source.url], ['output', 'embedding']]);
    await session.close();
  });

  test('a download with the wrong sha256 is refused and nothing is written', async () => {
    await using dir = await tempDir();
    const bad = pullModel(embed, catalog, { dir: dir.path, fetcher: async () => new Response('not a model') });
    await expect(bad).rejects.toThrow(/model mobilenetv2-embed@1: .* has sha256 [0-9a-f]{64}, expected 83530ad8/);
    await expect(verifiedPath(embed, dir.path)).rejects.toThrow('model mobilenetv2-embed@1 is missing');
  });

  test('a corrupted file in place is detected and replaced from the mirror', async () => {
    await using dir = await tempDir();
    await writeFile(join(dir.path, embed.file), 'corrupt');
    await expect(verifiedPath(embed, dir.path)).rejects.toThrow('does not match its sha256');
    expect(await pullModel(embed, catalog, { dir: dir.path, mirror: join(SHARED, 'models') })).toBe('mirror');
    expect(await pullModel(embed, catalog, { dir: dir.path, mirror: join(SHARED, 'models') })).toBe('present');
  });

  test('the derived model gives exactly the outputs of the shared embed model', async () => {
    await using dir = await tempDir();
    await copyFile(join(SHARED, 'models/mobilenetv2-12-int8.onnx'), join(dir.path, 'base.onnx'));
    await pullModel(embed, catalog, {
      dir: dir.path,
      fetcher: async () => new Response(Bun.file(join(dir.path, 'base.onnx'))),
    });
    const a = await openSession(join(dir.path, embed.file), { providers: ['cpu'], threads: 1, log, ref: 'a' });
    const b = await openSession(join(SHARED, 'models/mobilenetv2-12-int8-embed.onnx'), {
      providers: ['cpu'],
      threads: 1,
      log,
      ref: 'b',
    });
    // Input tensors are handed over to the inference worker (transferred), so each run gets its own.
    const x = () => ({
      input: { data: Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i)), dims: [1, 3, 224, 224] },
    });
    const [ra, rb] = [await a.run(x(), ['embedding']), await b.run(x(), ['embedding'])];
    expect(Array.from(ra.embedding!.data)).toEqual(Array.from(rb.embedding!.data));
    await a.close();
    await b.close();
  });
});
