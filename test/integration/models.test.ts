import { beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { copyFile, writeFile } from 'node:fs/promises';
import { builtinCatalog, findModel } from '../../appliance/models/catalog';
import { pullModel, verifiedPath } from '../../appliance/models/pull';
import { openSession } from '../../appliance/inference/onnx';
import { configureLogs, createLogger } from '../../appliance/shared/log';
import {
  COCO,
  ensureModel,
  MODELS_DIR,
  SHARED,
  VIDEOS,
  startAppliance,
  stream,
  tempDir,
  waitFor,
} from '../helpers/fixtures';
import { setNativeEnv, tensorrtEnv } from '../../appliance/inference/native-env';
import { CString, dlopen, FFIType } from 'bun:ffi';
import { createEmbedder } from '../../appliance/inference/embedder';
import { sharpImaging } from '../../appliance/imaging/sharp';
import { readdirSync } from 'node:fs';
import sharp from 'sharp';

const catalog = builtinCatalog();
const embed = findModel(catalog, 'mobilenetv2-embed@1');
const log = createLogger({ test: true });

// The embedding model as the tests pull it (derived from the base model when the mirror lacks it).
beforeAll(() => ensureModel());

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
    const b = await openSession(join(MODELS_DIR, 'mobilenetv2-12-int8-embed.onnx'), {
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

describe('inference sessions', () => {
  test('models.spin reaches onnxruntime: spinning threads burn CPU between runs, and the answers are the same', async () => {
    const path = join(MODELS_DIR, 'mobilenetv2-12-int8-embed.onnx');
    const x = () => ({
      input: { data: Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.cos(i)), dims: [1, 3, 224, 224] },
    });
    const out: number[][] = [];
    const cpu: number[] = [];
    for (const spin of [true, false]) {
      const s = await openSession(path, { providers: ['cpu'], threads: 2, spin, log, ref: `spin-${spin}` });
      try {
        out.push(Array.from((await s.run(x(), ['embedding'])).embedding!.data));
        // Runs one after another, as a lone request makes them: the CPU of the whole process
        // (the worker's threads included) per run. Spinning shows as CPU spent beyond the work.
        const u0 = process.cpuUsage();
        for (let i = 0; i < 30; i++) await s.run(x(), ['embedding']);
        const u = process.cpuUsage(u0);
        cpu.push(u.user + u.system);
      } finally {
        await s.close();
      }
    }
    expect(out[0]!.length).toBe(1280);
    expect(out[1]).toEqual(out[0]!);
    expect(cpu[0]!).toBeGreaterThan(cpu[1]! * 1.15);
  });
});

describe('the embedder', () => {
  const photos = async (n: number) =>
    Promise.all(
      readdirSync(COCO)
        .filter((f) => f.endsWith('.jpg'))
        .sort()
        .slice(0, n)
        .map(async (f) => new Uint8Array(await Bun.file(join(COCO, f)).arrayBuffer())),
    );
  /** The crops made first and handed out all at once: the tensors are ready together, as under load. */
  const readyTogether = async (imgs: Uint8Array[], side: number) => {
    const made = new Map(
      await Promise.all(
        imgs.map(async (img) => [img, await sharpImaging.centerCropRgb(img, side, side, side, 50e6)] as const),
      ),
    );
    return async (img: Uint8Array) => {
      await Promise.resolve();
      return made.get(img)!;
    };
  };

  test("a crop given the probe's upright size equals the crop that reads the header itself, plain and EXIF-rotated", async () => {
    const [plain] = await photos(1);
    // The same pixels stored sideways with EXIF orientation 6: upright, it is portrait.
    const sideways = new Uint8Array(await sharp(plain!).withMetadata({ orientation: 6 }).jpeg().toBuffer());
    const out = [];
    for (const img of [plain!, sideways]) {
      const probed = await sharpImaging.probe(img, 50e6);
      const given = await sharpImaging.centerCropRgb(img, 224, 224, 224, 50e6, probed);
      const read = await sharpImaging.centerCropRgb(img, 224, 224, 224, 50e6);
      out.push({ size: [probed.width, probed.height], same: Buffer.from(given.data).equals(Buffer.from(read.data)) });
    }
    expect(out).toEqual([
      { size: [640, 426], same: true },
      { size: [426, 640], same: true },
    ]);
  });

  test('concurrent images run as batches and get the vectors each gets alone', async () => {
    const runs: number[] = [];
    const session = await openSession(join(MODELS_DIR, 'mobilenetv2-12-int8-embed.onnx'), {
      providers: ['cpu'],
      threads: 1,
      log,
      ref: 'e',
      observe: () => runs.push(1),
    });
    try {
      const imgs = await photos(12);
      const e = createEmbedder(embed, session, await readyTogether(imgs, 224));
      const alone: Float32Array[] = [];
      for (const img of imgs) alone.push(await e.embed(img));
      const aloneRuns = runs.length;
      const together = await Promise.all(imgs.map((img) => e.embed(img)));
      const worst = Math.max(...together.map((v, i) => Math.max(...v.map((x, j) => Math.abs(x - alone[i]![j]!)))));
      // Twelve at once: in batches of at most 8.
      expect({ aloneRuns, batchedRuns: runs.length - aloneRuns, close: worst < 1e-4 }).toEqual({
        aloneRuns: 12,
        batchedRuns: 2,
        close: true,
      });
    } finally {
      await session.close();
    }
  });

  test('a model whose batch is fixed at 1 runs each image alone, and every caller gets its answer', async () => {
    // YOLOX-nano's input is [1,3,416,416]: taken here as an "embedding" of its 3549x85 outputs.
    const yolox = { ...embed, input: { ...embed.input, name: 'images', width: 416, height: 416, short_side: 416 } };
    const fixed = { ...yolox, output: { ...embed.output, name: 'output', dims: 3549 * 85 } };
    const session = await openSession(join(SHARED, 'models/yolox_nano_416.onnx'), {
      providers: ['cpu'],
      threads: 1,
      log,
      ref: 'y',
    });
    try {
      const imgs = await photos(4);
      const e = createEmbedder(fixed, session, await readyTogether(imgs, 416));
      const vs = await Promise.all(imgs.map((img) => e.embed(img)));
      const again = await e.embed(imgs[3]!);
      expect([vs.map((v) => v.length), Math.abs(again[0]! - vs[3]![0]!) < 1e-5]).toEqual([
        [3549 * 85, 3549 * 85, 3549 * 85, 3549 * 85],
        true,
      ]);
    } finally {
      await session.close();
    }
  });
});

describe('providers on a box without a GPU', () => {
  test('[tensorrt, cuda, cpu]: each model falls to the CPU with both reasons, in /health, /api/models and the metrics', async () => {
    await using app = await startAppliance({
      models: { dir: MODELS_DIR, providers: ['tensorrt', 'cuda', 'cpu'] },
      streams: [stream({ id: 'cars', url: join(VIDEOS, 'car-detection.mp4'), pipeline: 'objects', fps: 2 })],
    });
    await waitFor(() => app.rt.streams.list()[0]!.frames_analysed > 2, 60_000, 'frames analysed');
    const health = (await (await fetch(`${app.url}/health`)).json()) as {
      checks: { models: { detail: { sessions: Record<string, { provider: string; fallbacks: string[] }> } } };
    };
    const models = (await (await app.api('/api/models')).json()) as { items: Array<{ ref: string; provider: string }> };
    const metrics = await (await app.api('/metrics')).text();
    expect({
      session: health.checks.models.detail.sessions['yolox-nano@1'],
      listed: models.items.find((m) => m.ref === 'yolox-nano@1')?.provider,
      metric: /fovea_inference_duration_seconds_count\{model="yolox-nano@1",provider="cpu"\} [1-9]/.test(metrics),
    }).toEqual({
      session: {
        provider: 'cpu',
        fallbacks: [
          'tensorrt: TensorRT provider libraries are not installed (libonnxruntime_providers_tensorrt.so)',
          'cuda: CUDA provider libraries are not installed (libonnxruntime_providers_cuda.so)',
        ],
      },
      listed: 'cpu',
      metric: true,
    });
  }, 90_000);

  test('the log warns once per model with each fallback’s reason', async () => {
    const lines: string[] = [];
    const original = (line: string) => process.stdout.write(`${line}\n`);
    configureLogs({ level: 'warn', sink: (l) => lines.push(l) });
    try {
      const session = await openSession(join(SHARED, 'models/yolox_nano_416.onnx'), {
        providers: ['tensorrt', 'cuda', 'cpu'],
        threads: 1,
        log: createLogger({ test: true }),
        ref: 'yolox-nano@1',
      });
      await session.close();
    } finally {
      configureLogs({ level: 'error', sink: original });
    }
    const warned = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'warn');
    expect(warned.map(({ msg, model, provider, reasons }) => ({ msg, model, provider, reasons }))).toEqual([
      {
        msg: 'model session fell back to a later provider',
        model: 'yolox-nano@1',
        provider: 'cpu',
        reasons: [
          'tensorrt: TensorRT provider libraries are not installed (libonnxruntime_providers_tensorrt.so)',
          'cuda: CUDA provider libraries are not installed (libonnxruntime_providers_cuda.so)',
        ],
      },
    ]);
  });

  test('TensorRT settings reach the native environment it reads (getenv), not only Bun’s process.env', () => {
    const env = tensorrtEnv({ fp16: true, workspaceMb: 2048, cacheDir: '/var/lib/fovea/trt-cache' });
    for (const [k, v] of Object.entries(env)) setNativeEnv(k, v);
    const libc = dlopen('libc.so.6', { getenv: { args: [FFIType.cstring], returns: FFIType.ptr } });
    const read = (k: string) => {
      const p = libc.symbols.getenv(Buffer.from(`${k}\0`));
      return p ? new CString(p).toString() : null;
    };
    expect(Object.fromEntries(Object.keys(env).map((k) => [k, read(k)]))).toEqual({
      ORT_TENSORRT_FP16_ENABLE: '1',
      ORT_TENSORRT_ENGINE_CACHE_ENABLE: '1',
      ORT_TENSORRT_CACHE_PATH: '/var/lib/fovea/trt-cache',
      ORT_TENSORRT_ENGINE_CACHE_PATH: '/var/lib/fovea/trt-cache',
      ORT_TENSORRT_MAX_WORKSPACE_SIZE: String(2048 * 1024 * 1024),
    });
  });
});
