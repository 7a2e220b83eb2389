/**
 * @module bench api: the HTTP API under a closed-loop load (autocannon, from the bench process)
 * against `fovea serve` in its own process on loopback, with auth on and the rate limit raised.
 * Per route and concurrency (2, 8, 32): requests/s, p50 and p99 latency, and non-2xx answers.
 * Bare baselines in the same run: a bare Bun.serve answering "ok" (the HTTP floor of this client
 * on these cores), and for search by image the bare decode + embed throughput of the same photo
 * in-process, 2 at once (the image-search goal is 0.8 × that). `BENCH_API_S` sets the
 * seconds per cell (default 5); `BENCH_API_IMAGES` the photos registered (default 100);
 * `BENCH_API_LIBRARY` a synthetic library of that many images written in before the box starts;
 * `BENCH_API_ONLY` the routes whose name contains it (the bare embedding is always measured).
 */
import autocannon from 'autocannon';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COCO, ensureModel, tempDir } from '../test/helpers/fixtures';
import { spawnFovea } from '../test/helpers/process';
import { KeyFile } from '../appliance/auth/keys';
import { openSession } from '../appliance/inference/onnx';
import { EMBED_BATCH, createEmbedder } from '../appliance/inference/embedder';
import { builtinCatalog, findModel } from '../appliance/models/catalog';
import { sharpImaging } from '../appliance/imaging/sharp';
import { MODELS_DIR } from '../test/helpers/fixtures';
import { row } from './lib/stats';
import { Db } from '../appliance/store/duckdb';
import { migrate } from '../appliance/store/migrate';
import { createLogger } from '../appliance/shared/log';

const SECONDS = Number(process.env.BENCH_API_S ?? 5);
const CONCURRENCY = [2, 8, 32];
/** models.spin of the box and of the bare embedder (BENCH_API_SPIN=1: on, as before it was a setting). */
const SPIN = process.env.BENCH_API_SPIN === '1';

interface Cell {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function load(o: {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer | string;
  connections: number;
}): Promise<Cell> {
  const r = await autocannon({
    url: o.url,
    method: o.method ?? 'GET',
    headers: o.headers,
    body: o.body,
    connections: o.connections,
    duration: SECONDS,
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors };
}

function multipart(file: Uint8Array, name: string): { body: Buffer; type: string } {
  const boundary = 'fovea-bench-boundary';
  const head = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${name}"\r\ncontent-type: image/jpeg\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), Buffer.from(file), Buffer.from(`\r\n--${boundary}--\r\n`)]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

/**
 * The embedding model in this process, on the CPU, run in batches of up to `batch` (1: each image
 * alone), with onnxruntime's threads spinning or not (the box's models.spin, off unless BENCH_API_SPIN).
 */
async function bareEmbedder(batch: number, spin = SPIN) {
  const model = findModel(builtinCatalog(), 'mobilenetv2-embed@1');
  const session = await openSession(join(MODELS_DIR, model.file), {
    providers: ['cpu'],
    threads: 0,
    spin,
    ref: 'bench',
    log: createLogger({ bench: true }),
  });
  const embedder = createEmbedder(model, session, (d, s, w, h) => sharpImaging.centerCropRgb(d, s, w, h, 50e6), {
    batch,
  });
  return { embedder, session };
}

/**
 * Photos per second of decode + embed alone, in-process, `parallel` at once, for `seconds`; each
 * image run alone through the model (batch 1: the bare loop), or batched as the appliance does.
 */
async function bareEmbed(photo: Uint8Array, parallel: number, batch: number, spin = SPIN): Promise<number> {
  const { embedder, session } = await bareEmbedder(batch, spin);
  try {
    for (let i = 0; i < 5; i++) await embedder.embed(photo);
    let n = 0;
    const until = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (performance.now() < until) {
          await embedder.embed(photo);
          n++;
        }
      }),
    );
    return n / SECONDS;
  } finally {
    await session.close();
  }
}

/** A bare Bun.serve that takes a multipart upload, embeds its file (batch 1) and answers its norm as JSON. */
async function bareEmbedServer(): Promise<{ url: string } & AsyncDisposable> {
  const { embedder, session } = await bareEmbedder(1);
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const file = (await req.formData()).get('file') as File;
      const v = await embedder.embed(new Uint8Array(await file.arrayBuffer()));
      return Response.json({ dims: v.length, first: v[0] });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/`,
    async [Symbol.asyncDispose]() {
      server.stop(true);
      await session.close();
    },
  };
}

/**
 * A library of n synthetic images (clustered 1280-d vectors, no files) written into a stopped
 * box's database before it starts: the box indexes them at start, as it would after a restore.
 * Enough for what search by id and an image's page read; files are never opened by them.
 */
async function syntheticLibrary(path: string, n: number): Promise<void> {
  const db = await Db.open(path);
  try {
    await migrate(db);
    await db.run(`INSERT INTO images (id, storage_key, thumb_key, size_bytes, mime, width, height, embedding, model_id,
        created_at, updated_at, owner, private, preview_key, sha256)
      SELECT uuid(), 'aa/' || repeat('a', 64) || '.jpg', 'aa/' || repeat('a', 64) || '.jpg', 1, 'image/jpeg', 1, 1,
        list_transform(range(1280), j -> ((hash((i % 200) * 1280 + j) % 2000)::FLOAT / 1000 - 1)
          + 0.6 * ((hash(i * 1280 + j + 977) % 2000)::FLOAT / 1000 - 1)),
        'mobilenetv2-embed@1', now(), now(), 'box', false, NULL, NULL
      FROM range(0, ${n}) t(i)`);
    await db.checkpoint();
  } finally {
    db.close();
  }
}

export async function apiBench(): Promise<string[]> {
  await ensureModel();
  await using state = await tempDir();
  const key = await new KeyFile(join(state.path, 'api-keys.json')).create('bench');
  const synthetic = Number(process.env.BENCH_API_LIBRARY ?? 0);
  if (synthetic) await syntheticLibrary(join(state.path, 'fovea.duckdb'), synthetic);
  await using box = await spawnFovea(state.path, {
    api: { auth: true, rate_limit_per_minute: 1_000_000, people_rate_limit_per_minute: 1_000_000 },
    models: { spin: SPIN },
  });
  const auth = { 'x-api-key': key };
  const photos = readdirSync(COCO)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, Number(process.env.BENCH_API_IMAGES ?? 100));
  const ids: string[] = [];
  for (const f of photos) {
    const form = new FormData();
    form.append('file', new File([await Bun.file(join(COCO, f)).bytes()], f));
    const res = await fetch(`${box.url}/api/images`, { method: 'POST', headers: auth, body: form });
    ids.push(((await res.json()) as { image_id: string }).image_id);
  }
  // One of the registered images (the eighth, or the last of fewer) for the routes that name one.
  const one = ids[Math.min(7, ids.length - 1)];
  const photo = await Bun.file(join(COCO, photos[0]!)).bytes();
  const upload = multipart(photo, photos[0]!);
  using bare = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('ok') });
  // The same upload to a bare HTTP server that only parses it and embeds it (no auth, no index, no
  // library): what the client, HTTP and multipart cost on these cores, apart from fovea's own work.
  await using bareHttp = await bareEmbedServer();

  const cases: Array<{ name: string; run: (c: number) => Promise<Cell> }> = [
    {
      name: 'bare Bun.serve "ok" (the HTTP floor)',
      run: (c) => load({ url: `http://127.0.0.1:${bare.port}/`, connections: c }),
    },
    { name: 'GET /health', run: (c) => load({ url: `${box.url}/health`, connections: c }) },
    {
      name: 'GET /api/images/:id (API key)',
      run: (c) => load({ url: `${box.url}/api/images/${one}`, headers: auth, connections: c }),
    },
    {
      name: `POST /api/search by image_id (${(ids.length + synthetic).toLocaleString('en')} images)`,
      run: (c) =>
        load({
          url: `${box.url}/api/search`,
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ image_id: one, limit: 10 }),
          connections: c,
        }),
    },
    {
      name: 'bare HTTP: multipart + decode + embed, by image (COCO photo)',
      run: (c) =>
        load({
          url: bareHttp.url,
          method: 'POST',
          headers: { 'content-type': upload.type },
          body: upload.body,
          connections: c,
        }),
    },
    {
      name: 'POST /api/search by image (COCO photo)',
      run: (c) =>
        load({
          url: `${box.url}/api/search`,
          method: 'POST',
          headers: { ...auth, 'content-type': upload.type },
          body: upload.body,
          connections: c,
        }),
    },
  ];
  const out: string[] = [];
  const only = process.env.BENCH_API_ONLY;
  for (const k of cases.filter((k) => !only || k.name.includes(only)))
    for (const c of CONCURRENCY) {
      const r = await k.run(c);
      out.push(row([k.name, c, r.rps.toFixed(0), r.p50, r.p99, r.non2xx]));
    }
  for (const [c, batch, spin] of [
    [2, 1, SPIN],
    [8, 1, SPIN],
    [8, EMBED_BATCH, SPIN],
    [2, 1, !SPIN],
    [8, 1, !SPIN],
  ] as const) {
    const embed = await bareEmbed(photo, c, batch, spin);
    const what =
      spin !== SPIN
        ? `one image per model run, threads ${spin ? 'spinning' : 'not spinning'} (the other models.spin)`
        : batch === 1
          ? 'one image per model run (the baseline of search by image)'
          : `batched by ${batch}`;
    out.push(row([`bare decode + embed in-process, ${what}`, c, embed.toFixed(0), '', '', '']));
  }
  return out;
}
