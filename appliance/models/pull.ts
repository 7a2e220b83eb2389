/**
 * @module Fetches catalog models into the models directory: from a mirror directory when it holds a
 * verified copy, else from the pinned upstream URL (with progress on a terminal), deriving the file
 * when the catalog says so. Every file is checked against its sha256 before it is moved into place;
 * a file already present and verified is left alone.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { AppError } from '../shared/errors';
import { derivations } from './derive';
import { findModel, refOf, type Catalog, type ModelEntry } from './catalog';

export type Progress = (ref: string, done: number, total: number | null) => void;
export type Fetcher = (url: string) => Promise<Response>;

export interface PullOptions {
  dir: string;
  mirror?: string;
  fetcher?: Fetcher;
  progress?: Progress;
  /** Whether the pinned upstream URL may be used when the mirror lacks the file (default true). */
  upstream?: boolean;
}

export type PullOutcome = 'present' | 'mirror' | 'download' | 'npm';

/** Where installed npm packages are: the working directory's node_modules, then the checkout's. */
const NODE_MODULES = [join(process.cwd(), 'node_modules'), join(import.meta.dir, '../../node_modules')];

/**
 * The file of an `npm:<package>@<version>/<path>` source, from an installed copy of exactly that
 * version (its sha256 is checked by the caller), or null when none is installed.
 */
export async function fromNpm(url: string, dirs: string[] = NODE_MODULES): Promise<Uint8Array | null> {
  const m = /^npm:((?:@[a-z0-9._-]+\/)?[a-z0-9._-]+)@([0-9A-Za-z.+-]+)\/(.+)$/.exec(url);
  if (!m) throw new AppError('config_invalid', `${url} is not npm:<package>@<version>/<path>`);
  const [, pkg, version, path] = m as unknown as [string, string, string, string];
  if (path.split('/').includes('..')) throw new AppError('config_invalid', `${url}: the path leaves the package`);
  for (const dir of dirs) {
    const manifest = Bun.file(join(dir, pkg, 'package.json'));
    if (!(await manifest.exists())) continue;
    if (((await manifest.json()) as { version?: string }).version !== version) continue;
    const file = Bun.file(join(dir, pkg, path));
    if (await file.exists()) return new Uint8Array(await file.arrayBuffer());
  }
  return null;
}

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The sha256 values a model's file may have (the catalog's and, for derived files, ours). */
export function acceptedHashes(m: ModelEntry): string[] {
  return [m.sha256, m.source.derived_sha256].filter((h): h is string => !!h);
}

export async function readIfValid(path: string, hashes: string[]): Promise<Uint8Array | null> {
  const f = Bun.file(path);
  if (!(await f.exists())) return null;
  const data = new Uint8Array(await f.arrayBuffer());
  return hashes.includes(sha256(data)) ? data : null;
}

/** Download a URL whole, reporting progress under `label`; errors name the label. */
export async function download(label: string, url: string, fetcher: Fetcher, progress?: Progress): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetcher(url);
  } catch (e) {
    throw new AppError('model_unavailable', `${label}: cannot download ${url}: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok || !res.body) throw new AppError('model_unavailable', `${label}: ${url} answered HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || null;
  const chunks: Uint8Array[] = [];
  let done = 0;
  for await (const chunk of res.body) {
    chunks.push(chunk);
    done += chunk.byteLength;
    progress?.(label, done, total);
  }
  return Buffer.concat(chunks);
}

/** Bytes of the upstream source file, from the mirror when it has a verified copy. */
async function source(
  m: ModelEntry,
  catalog: Catalog,
  opts: PullOptions,
): Promise<{ data: Uint8Array; from: PullOutcome }> {
  const want = m.source.sha256 ?? m.sha256;
  if (opts.mirror) {
    // The mirror may name the source file after the upstream URL or after the catalog entry that has it.
    const names = [basename(m.source.url), ...catalog.models.filter((o) => o.sha256 === want).map((o) => o.file)];
    for (const name of names) {
      const data = await readIfValid(join(opts.mirror, name), [want]);
      if (data) return { data, from: 'mirror' };
    }
  }
  if (m.source.url.startsWith('npm:')) {
    const data = await fromNpm(m.source.url);
    if (!data)
      throw new AppError(
        'model_unavailable',
        `model ${refOf(m)} comes from ${m.source.url.slice(4)}: run npm install in a checkout, or put ${m.file} in the mirror (${opts.mirror || 'none set'})`,
      );
    if (sha256(data) !== want)
      throw new AppError(
        'model_checksum_mismatch',
        `model ${refOf(m)}: ${m.source.url} has sha256 ${sha256(data)}, expected ${want}`,
      );
    return { data, from: 'npm' };
  }
  if (opts.upstream === false)
    throw new AppError(
      'model_unavailable',
      `model ${refOf(m)} is not in the mirror (${opts.mirror || 'none set'}) and upstream downloads are off (models.upstream)`,
    );
  if (!m.source.url)
    throw new AppError(
      'model_unavailable',
      `model ${refOf(m)} has no upstream URL and no verified copy in ${opts.mirror || 'a mirror'}`,
    );
  const data = await download(`model ${refOf(m)}`, m.source.url, opts.fetcher ?? fetch, opts.progress);
  if (sha256(data) !== want) {
    throw new AppError(
      'model_checksum_mismatch',
      `model ${refOf(m)}: ${m.source.url} has sha256 ${sha256(data)}, expected ${want}`,
    );
  }
  return { data, from: 'download' };
}

async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.part`;
  await Bun.write(tmp, data);
  await rename(tmp, path);
}

export async function pullModel(m: ModelEntry, catalog: Catalog, opts: PullOptions): Promise<PullOutcome> {
  if (!m.available)
    throw new AppError(
      'model_unavailable',
      `model ${refOf(m)} is marked unavailable in the catalog (no pinned source)`,
    );
  await mkdir(opts.dir, { recursive: true });
  const target = join(opts.dir, m.file);
  const hashes = acceptedHashes(m);
  if (await readIfValid(target, hashes)) return 'present';
  if (existsSync(target)) await rm(target);
  if (opts.mirror) {
    const copy = await readIfValid(join(opts.mirror, m.file), hashes);
    if (copy) {
      await writeAtomic(target, copy);
      return 'mirror';
    }
  }
  const { data, from } = await source(m, catalog, opts);
  const final = m.source.derive ? derivations[m.source.derive](data) : data;
  if (!hashes.includes(sha256(final))) {
    throw new AppError(
      'model_checksum_mismatch',
      `model ${refOf(m)}: derived file has sha256 ${sha256(final)}, expected one of ${hashes.join(', ')}`,
    );
  }
  await writeAtomic(target, final);
  return from;
}

/** Pull each model named (id@version) that is not in place and verified yet. */
export async function pullModels(refs: string[], catalog: Catalog, opts: PullOptions): Promise<void> {
  for (const r of refs) await pullModel(findModel(catalog, r), catalog, opts);
}

/** Path of a model's verified file, or a clear error naming the model and how to get it. */
export async function verifiedPath(m: ModelEntry, dir: string): Promise<string> {
  const path = join(dir, m.file);
  if (!existsSync(path))
    throw new AppError(
      'model_unavailable',
      `model ${refOf(m)} is missing: ${path} does not exist (run: fovea models pull ${refOf(m)})`,
    );
  if (!(await readIfValid(path, acceptedHashes(m)))) {
    throw new AppError(
      'model_checksum_mismatch',
      `model ${refOf(m)}: ${path} does not match its sha256 (run: fovea models pull ${refOf(m)})`,
    );
  }
  return path;
}
