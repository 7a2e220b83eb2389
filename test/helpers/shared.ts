/**
 * @module The shared material the tests read (photos, clips, models), wherever it can be had:
 * `FOVEA_SHARED` (default `../shared`) when it holds every file of `test/fixtures/shared.json`,
 * else a cache beside the system's temp files, filled with what is missing: copied from the shared
 * folder when it has a verified copy, else downloaded from the file's pinned upstream URL, each
 * checked by its sha256 (as `npm run demo` fetches its samples). `FOVEA_TEST_UPSTREAM` stands in for
 * raw.githubusercontent.com (a mirror, or the test's own server). A file with no pinned upstream
 * that is missing is named once with the reason, and the tests that read it fail on it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import manifest from '../fixtures/shared.json';

export interface SharedFile {
  path: string;
  sha256: string;
  url: string | null;
}

export const SHARED_FILES: SharedFile[] = manifest.files;
const UPSTREAM_HOST = 'https://raw.githubusercontent.com/';

const sha256 = (data: Uint8Array) => new Bun.CryptoHasher('sha256').update(data).digest('hex');

function verified(path: string, want: string): boolean {
  try {
    return sha256(readFileSync(path)) === want;
  } catch {
    return false;
  }
}

/** Where a file comes from when `upstream` stands in for the pinned host. */
export const sourceOf = (f: SharedFile, upstream: string | null): string | null =>
  f.url && upstream ? f.url.replace(UPSTREAM_HOST, `${upstream.replace(/\/$/, '')}/`) : f.url;

export interface FillOutcome {
  copied: string[];
  downloaded: string[];
  /** Missing, with why it could not be had. */
  unavailable: Array<{ path: string; why: string }>;
}

/**
 * Put every file into `dir`, from `from` (a shared folder, possibly partial) or its upstream;
 * what is already there and verified stays. A download that fails or does not match its sha256
 * is reported with the file, the URL and the reason; nothing unverified is left in `dir`.
 */
export async function fillShared(
  dir: string,
  files: SharedFile[],
  o: { from: string | null; upstream: string | null; fetcher?: typeof fetch },
): Promise<FillOutcome> {
  const out: FillOutcome = { copied: [], downloaded: [], unavailable: [] };
  for (const f of files) {
    const target = join(dir, f.path);
    if (verified(target, f.sha256)) continue;
    await mkdir(dirname(target), { recursive: true });
    if (o.from && verified(join(o.from, f.path), f.sha256)) {
      await copyFile(join(o.from, f.path), target);
      out.copied.push(f.path);
      continue;
    }
    const url = sourceOf(f, o.upstream);
    if (!url) {
      out.unavailable.push({ path: f.path, why: 'no pinned upstream: only a shared copy has it' });
      continue;
    }
    try {
      const res = await (o.fetcher ?? fetch)(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const data = new Uint8Array(await res.arrayBuffer());
      const got = sha256(data);
      if (got !== f.sha256) throw new Error(`sha256 ${got}, expected ${f.sha256}`);
      await writeFile(`${target}.part`, data);
      await rename(`${target}.part`, target);
      out.downloaded.push(f.path);
    } catch (e) {
      out.unavailable.push({ path: f.path, why: `${url}: ${(e as Error).message}` });
    }
  }
  return out;
}

/** The folder the tests read shared material from (see the module comment). */
export async function sharedRoot(): Promise<string> {
  const given = process.env.FOVEA_SHARED ?? join(import.meta.dir, '../../../shared');
  if (SHARED_FILES.every((f) => existsSync(join(given, f.path)))) return given;
  const cache = process.env.FOVEA_SHARED_CACHE ?? join(tmpdir(), 'fovea-test-shared');
  const outcome = await fillShared(cache, SHARED_FILES, {
    from: existsSync(given) ? given : null,
    upstream: process.env.FOVEA_TEST_UPSTREAM ?? null,
  });
  if (outcome.downloaded.length || outcome.copied.length)
    console.error(
      `shared material: ${given} is incomplete; ${cache} has ${outcome.downloaded.length} files downloaded from their pinned upstream, ${outcome.copied.length} copied`,
    );
  if (outcome.unavailable.length)
    console.error(
      `shared material: ${outcome.unavailable.length} files could not be had; the tests that read them fail:\n${outcome.unavailable
        .map((u) => `  ${u.path}: ${u.why}`)
        .join('\n')}`,
    );
  return cache;
}
