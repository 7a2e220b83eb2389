/**
 * @module A bulk import of photos into the library, apart from where they go: the files are hashed
 * a chunk at a time, the target is asked which hashes the owner already has (so running the same
 * import again skips what went in), and the rest are stored by `jobs` workers at once. A file the
 * box will not take is refused with its reason and the import goes on; a target that cannot be
 * reached stops it (what was stored stays; the next run resumes). Files and the target are ports,
 * so the orchestration is unit-tested with fakes and the command wires real ones.
 */
import { AppError } from '../shared/errors';

/** A file found by the walk. */
export interface Candidate {
  path: string;
  /** The name shown (relative to what was named on the command line). */
  name: string;
  size: number;
}

/** A photo the target will not take (an unsupported format, over quota, corrupt): the import goes on. */
export class Refused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ImportTarget {
  /** Which of these sha256 hashes the owner already has. */
  known(hashes: string[]): Promise<Set<string>>;
  /** Store one photo; throws Refused for a file the box will not take, anything else stops the import. */
  put(p: { data: Uint8Array; fileName: string }): Promise<void>;
}

export interface ImportFiles {
  read(path: string): Promise<Uint8Array>;
  sha256(path: string): Promise<string>;
}

export interface Tally {
  total: number;
  imported: number;
  /** Already in the owner's library, or the same file twice in this import. */
  skipped: { known: number; duplicate: number };
  refused: Array<{ name: string; code: string; message: string }>;
  /** Bytes of the photos imported. */
  bytes: number;
}

export interface ImportOptions {
  jobs: number;
  /** Files larger are refused without being read (the box's api.max_upload_bytes). */
  maxBytes: number;
  /** How many files are hashed and looked up at once. */
  chunk?: number;
  onProgress?: (t: Tally) => void;
}

export const done = (t: Tally) => t.imported + t.skipped.known + t.skipped.duplicate + t.refused.length;

/** Run `work` over `items` with at most `jobs` at once; the first error that is not a Refused stops it. */
async function pool<T>(items: T[], jobs: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed === null && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  if (failed !== null) throw failed;
}

export async function importPhotos(
  files: Candidate[],
  io: ImportFiles,
  target: ImportTarget,
  o: ImportOptions,
): Promise<Tally> {
  const t: Tally = { total: files.length, imported: 0, skipped: { known: 0, duplicate: 0 }, refused: [], bytes: 0 };
  const seen = new Set<string>();
  const chunk = o.chunk ?? 128;
  const refuse = (c: Candidate, code: string, message: string) => {
    t.refused.push({ name: c.name, code, message });
    o.onProgress?.(t);
  };
  for (let i = 0; i < files.length; i += chunk) {
    const part = files.slice(i, i + chunk);
    const hashes = new Map<Candidate, string>();
    await pool(part, o.jobs, async (c) => {
      if (c.size > o.maxBytes)
        return refuse(c, 'payload_too_large', `${c.size} bytes, over the limit of ${o.maxBytes}`);
      if (c.size === 0) return refuse(c, 'unsupported_media_type', 'the file is empty');
      hashes.set(c, await io.sha256(c.path).catch(unreadable));
    });
    const known = hashes.size ? await target.known([...new Set(hashes.values())]) : new Set<string>();
    const todo: Candidate[] = [];
    for (const c of part) {
      const h = hashes.get(c);
      if (h === undefined) continue;
      if (known.has(h)) t.skipped.known++;
      else if (seen.has(h)) t.skipped.duplicate++;
      else todo.push(c);
      seen.add(h);
    }
    o.onProgress?.(t);
    await pool(todo, o.jobs, async (c) => {
      const data = await io.read(c.path).catch(unreadable);
      try {
        await target.put({ data, fileName: c.name.split('/').pop()! });
        t.imported++;
        t.bytes += data.byteLength;
        o.onProgress?.(t);
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        refuse(c, e.code, e.message);
      }
    });
  }
  return t;
}

/** A file that went away or cannot be read between the walk and now stops the import with its reason. */
const unreadable = (e: unknown): never => {
  throw new AppError(
    'bad_request',
    `cannot read ${(e as NodeJS.ErrnoException).path ?? 'a file'}: ${(e as Error).message}`,
  );
};

/** A duration as people read it: 42 s, 3 min 5 s, 1 h 2 min. */
export function duration(s: number): string {
  const r = Math.max(0, Math.round(s));
  if (r < 60) return `${r} s`;
  if (r < 3600) return `${Math.floor(r / 60)} min ${r % 60} s`;
  return `${Math.floor(r / 3600)} h ${Math.floor((r % 3600) / 60)} min`;
}

/** The progress line of a terminal, fitted to `width` columns. */
export function progressLine(t: Tally, elapsedS: number, width: number): string {
  const n = done(t);
  const rate = elapsedS > 0 ? t.imported / elapsedS : 0;
  const left = rate > 0 ? (t.total - n) / rate : null;
  const counts = `${n}/${t.total} · ${t.imported} imported · ${t.skipped.known + t.skipped.duplicate} skipped · ${t.refused.length} refused · ${rate.toFixed(1)}/s${left !== null && n < t.total ? ` · ${duration(left)} left` : ''}`;
  const text = `${t.total ? Math.floor((100 * n) / t.total) : 100}% ${counts}`;
  // The last column is left free: a terminal wraps a line that fills it.
  const barWidth = Math.min(30, width - 1 - text.length - 3);
  const filled = t.total ? Math.round((barWidth * n) / t.total) : barWidth;
  const bar = barWidth >= 5 ? `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ` : '';
  return `${bar}${text}`.slice(0, Math.max(1, width - 1));
}

/** What the import did, for people: the counts and rate, then each refused file with why. */
export function summary(t: Tally, elapsedS: number, ignored: number): string {
  const rate = elapsedS > 0 ? t.imported / elapsedS : 0;
  const skipped = t.skipped.known + t.skipped.duplicate;
  const why = [
    t.skipped.known ? `${t.skipped.known} already in the library` : '',
    t.skipped.duplicate ? `${t.skipped.duplicate} twice in this import` : '',
  ].filter(Boolean);
  const lines = [
    `imported ${t.imported} (${(t.bytes / 1e6).toFixed(1)} MB), skipped ${skipped}${why.length ? ` (${why.join(', ')})` : ''}, refused ${t.refused.length}, in ${duration(elapsedS)}: ${rate.toFixed(1)} photos/s`,
  ];
  if (ignored) lines.push(`ignored ${ignored} files in the folders that are not JPEG, PNG or WebP by their name`);
  if (t.refused.length) {
    lines.push('refused:');
    for (const r of t.refused) lines.push(`  ${r.name}: ${r.code}: ${r.message}`);
  }
  return lines.join('\n');
}
