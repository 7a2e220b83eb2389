/**
 * @module bench import: `fovea images import` of 300 photos (the 100 COCO photos, a mirrored and a
 * cropped copy of each: 300 distinct files) against the bare register path, the image service
 * called in-process with the same parallelism (no HTTP, no command, no hashing). Three ways: through
 * a running box's API with a key granted images:import, into a stopped box, and the same import run
 * again (every photo skipped: the cost of resuming). Medians of 3, each on a fresh box.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { stringify } from 'yaml';
import { COCO, MODELS_DIR, ensureModel, startAppliance, tempDir } from '../test/helpers/fixtures';
import { foveaCli } from '../test/helpers/process';
import { median, row } from './lib/stats';

const JOBS = 4;
const ROUNDS = 3;

async function photoSet(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of readdirSync(COCO).filter((n) => n.endsWith('.jpg'))) {
    const src = join(COCO, f);
    const base = f.replace(/\.jpg$/, '');
    out.push(src);
    for (const [suffix, img] of [
      ['flop', sharp(src).flop()],
      ['crop', sharp(src).resize(512, 384, { fit: 'cover' })],
    ] as const) {
      const path = join(dir, `${base}-${suffix}.jpg`);
      await Bun.write(path, await img.jpeg({ quality: 90 }).toBuffer());
      out.push(path);
    }
  }
  return out;
}

/** Photos per second of the bare path: ImageService.register, JOBS at once, on a fresh box. */
async function bare(files: string[]): Promise<number> {
  await using app = await startAppliance({});
  const data = await Promise.all(files.map(async (f) => new Uint8Array(await Bun.file(f).arrayBuffer())));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: JOBS }, async () => {
      while (next < data.length) {
        const i = next++;
        await app.rt.images.register({ data: data[i]!, fileName: `${i}.jpg`, name: null, description: null, tags: [] });
      }
    }),
  );
  return files.length / ((performance.now() - t0) / 1000);
}

/** Wall time of the command, process start included; photos per second over all the files. */
async function timed(args: string[], env: Record<string, string>, n: number): Promise<{ rate: number; out: string }> {
  const t0 = performance.now();
  const r = await foveaCli(['images', 'import', ...args, '--jobs', String(JOBS)], { FOVEA_LOG_LEVEL: 'error', ...env });
  if (!r.out.startsWith('imported')) throw new Error(`import failed: ${r.err}`);
  return { rate: n / ((performance.now() - t0) / 1000), out: r.out };
}

async function viaApi(dir: string, n: number): Promise<{ first: number; again: number }> {
  await using app = await startAppliance({ api: { rate_limit_per_minute: 100 } });
  const key = await app.rt.keys.create('bulk', { scopes: ['images:read', 'images:write', 'images:import'] });
  const env = { FOVEA_TOKEN: key };
  const first = await timed([dir, '--url', app.url], env, n);
  const again = await timed([dir, '--url', app.url], env, n);
  if (!again.out.startsWith('imported 0')) throw new Error(`the second run imported again: ${again.out}`);
  return { first: first.rate, again: again.rate };
}

async function stopped(dir: string, n: number): Promise<number> {
  await using state = await tempDir();
  const config = join(state.path, 'fovea.yaml');
  await Bun.write(
    config,
    stringify({ state_dir: state.path, models: { dir: MODELS_DIR, providers: ['cpu'] }, log: { level: 'error' } }),
  );
  return (await timed([dir, '--config', config], {}, n)).rate;
}

export async function importBench(): Promise<string[]> {
  await ensureModel();
  await using work = await tempDir();
  const files = await photoSet(work.path);
  // One folder of links: the command walks one folder, as a person would point it at one.
  const dir = join(work.path, 'all');
  await Bun.$`mkdir -p ${dir}`;
  for (const [i, f] of files.entries()) await Bun.$`ln -s ${f} ${join(dir, `${String(i).padStart(3, '0')}.jpg`)}`;
  const r = { bare: [] as number[], api: [] as number[], again: [] as number[], stopped: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    r.bare.push(await bare(files));
    const a = await viaApi(dir, files.length);
    r.api.push(a.first);
    r.again.push(a.again);
    r.stopped.push(await stopped(dir, files.length));
  }
  const b = median(r.bare);
  const fmt = (v: number) => v.toFixed(1);
  const n = files.length;
  return [
    row([n, `bare: ImageService.register in-process, ${JOBS} at once`, fmt(b), '1.00', 'the baseline']),
    row([
      n,
      `fovea images import --url (running box, key with images:import), --jobs ${JOBS}`,
      fmt(median(r.api)),
      (median(r.api) / b).toFixed(2),
      'wall time of the command, start included',
    ]),
    row([
      n,
      'fovea images import (stopped box)',
      fmt(median(r.stopped)),
      (median(r.stopped) / b).toFixed(2),
      'opens the model and index itself',
    ]),
    row([
      n,
      'the same import again (all skipped)',
      fmt(median(r.again)),
      (median(r.again) / b).toFixed(2),
      'hashing + one lookup per 128',
    ]),
    row([n, 'a plain key at 100 requests a minute', '≤ 1.7', (100 / 60 / b).toFixed(2), 'the limit, not measured']),
  ];
}
