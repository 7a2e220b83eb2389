/**
 * @module `fovea images import`: a library's first thousands of photos, from files and folders. A
 * running box is reached through its API (the key in FOVEA_TOKEN; a key an admin granted
 * images:import is not held to the per-minute limit); a stopped box's library is opened here, so
 * the photos are stored, embedded, indexed and queued for the bucket just as the API would. Either
 * way, photos the owner already has (by sha256) are skipped, so an interrupted import is resumed
 * by running it again.
 */
import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { apiUrlOf, print, setup } from './context';
import { pathsOf } from '../config/paths';
import { Db } from '../store/duckdb';
import { migrate } from '../store/migrate';
import { openLibrary } from '../compose/library';
import { importPhotos, progressLine, summary, type Candidate, type ImportTarget, type Tally } from '../images/import';
import { apiTarget, localTarget } from './import-targets';
import { parseTags } from '../api/views';
import { AppError } from '../shared/errors';
import type { Config } from '../config/schema';
import { configureLogs, type Logger } from '../shared/log';

const PHOTO = /\.(jpe?g|png|webp)$/i;

interface Walk {
  files: Candidate[];
  ignored: number;
  visited: Set<string>;
}

/** The photos (by name) in a folder, and in its subfolders with `recursive`; a folder reached twice once. */
async function folder(w: Walk, dir: string, base: string, label: string, recursive: boolean): Promise<void> {
  const real = await realpath(dir);
  if (w.visited.has(real)) return;
  w.visited.add(real);
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    const s = await stat(full).catch(() => null);
    if (s?.isDirectory()) {
      if (recursive) await folder(w, full, base, label, recursive);
    } else if (s?.isFile()) {
      if (PHOTO.test(e.name)) w.files.push({ path: full, name: join(label, relative(base, full)), size: s.size });
      else w.ignored++;
    }
  }
}

/** The files to import: each file named, and the photos in each folder named. Hidden entries are left out. */
export async function walk(paths: string[], recursive: boolean): Promise<{ files: Candidate[]; ignored: number }> {
  const w: Walk = { files: [], ignored: 0, visited: new Set() };
  const missing: string[] = [];
  for (const p of paths) {
    const root = resolve(p);
    const st = await stat(root).catch(() => null);
    if (!st) missing.push(p);
    else if (st.isFile()) w.files.push({ path: root, name: p, size: st.size });
    else if (st.isDirectory()) await folder(w, root, root, p, recursive);
    else missing.push(`${p} (not a file or folder)`);
  }
  if (missing.length) throw new AppError('bad_request', `no such file or folder: ${missing.join(', ')}`);
  return { files: w.files, ignored: w.ignored };
}

const io = {
  read: async (path: string) => new Uint8Array(await Bun.file(path).arrayBuffer()),
  async sha256(path: string) {
    const h = new Bun.CryptoHasher('sha256');
    for await (const chunk of Bun.file(path).stream()) h.update(chunk);
    return h.digest('hex');
  },
};

/** A progress line on a terminal (stderr), redrawn at most ten times a second; nothing otherwise. */
function progress(started: number) {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    update(t: Tally) {
      const now = performance.now();
      if (!tty || now - last < 100) return;
      last = now;
      process.stderr.write(`\r\x1b[K${progressLine(t, (now - started) / 1000, process.stderr.columns || 80)}`);
    },
    end() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

export const images: Command = {
  name: 'images',
  summary: 'import photos from files and folders into the library',
  usage: `Usage: fovea images import PATH... [--recursive] [--tags a,b] [--private] [--owner NAME]
                           [--jobs N] [--url URL] [--config FILE]

Imports the JPEG, PNG and WebP photos named, and those in the folders named (--recursive: in their
subfolders too), as the library's API would register them. Photos the owner already has (by sha256)
are skipped, so running the same import again resumes it. Prints a summary: imported, skipped,
refused and why; exits 1 when a photo was refused.

With the appliance running (or --url), imports through its API, with the key in FOVEA_TOKEN
(images:write; a key also granted images:import is not held to the per-minute request limit; an
admin's key may import for someone else with --owner). With it stopped, opens its library directly;
photos are then the box's own unless --owner names a user.

  --recursive     descend into subfolders
  --tags a,b      tags for every photo
  --private       seen only by the owner and admins
  --owner NAME    whose the photos are (a user name)
  --jobs N        photos stored at once (default 4)`,
  options: {
    ...CONFIG_OPTION,
    recursive: { type: 'boolean', short: 'r' },
    tags: { type: 'string' },
    private: { type: 'boolean' },
    owner: { type: 'string' },
    jobs: { type: 'string' },
    url: { type: 'string' },
  },
  async run(values, [action, ...paths]) {
    if (action !== 'import' || !paths.length) throw new AppError('bad_request', images.usage);
    const jobs = Number(values.jobs ?? 4);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
      throw new AppError('bad_request', '--jobs: a whole number from 1 to 64');
    const { config, log } = setup(values);
    const started = performance.now();
    const bar = progress(started);
    // stdout is the summary's; what the box logs meanwhile goes to stderr, under the progress line.
    configureLogs({
      sink: (line) => {
        bar.end();
        process.stderr.write(`${line}\n`);
      },
    });
    const { files, ignored } = await walk(paths, !!values.recursive);
    const fields = {
      tags: parseTags(values.tags as string | undefined),
      private: !!values.private,
      owner: values.owner as string | undefined,
    };
    const box = pathsOf(config);
    if (!values.url) await mkdir(box.state, { recursive: true });
    const db = values.url ? null : await Db.openUnlessHeld(box.db);
    const run = async (target: ImportTarget) => {
      try {
        return await importPhotos(files, io, target, {
          jobs,
          maxBytes: config.api.max_upload_bytes,
          onProgress: bar.update,
        });
      } finally {
        bar.end();
      }
    };
    let tally: Tally;
    if (!db) {
      const url = ((values.url as string | undefined) ?? apiUrlOf(config)).replace(/\/$/, '');
      const notice = (text: string) => log.warn(text);
      tally = await run(apiTarget({ url, token: process.env.FOVEA_TOKEN ?? null, notice }, fields));
    } else tally = await stopped(config, db, log, fields, run);
    print(summary(tally, (performance.now() - started) / 1000, ignored));
    return tally.refused.length ? 1 : 0;
  },
};

/** Import into a stopped box: its library opened here, closed (index saved, database checkpointed) after. */
async function stopped(
  config: Config,
  db: Db,
  log: Logger,
  fields: { tags: string[]; private: boolean; owner?: string },
  run: (t: ImportTarget) => Promise<Tally>,
): Promise<Tally> {
  try {
    await migrate(db);
    const library = await openLibrary(config, db, log.child({ mod: 'import' }), () => {});
    try {
      let owner = 'box';
      if (fields.owner && fields.owner !== 'box') {
        const u = library.users.byName(fields.owner);
        if (!u) throw new AppError('bad_request', `--owner: no user ${fields.owner}`);
        owner = u.id;
      }
      await library.ready();
      return await run(localTarget(library.images, owner, fields));
    } finally {
      await library.close();
      await db.checkpoint().catch(() => undefined);
    }
  } finally {
    db.close();
  }
}
