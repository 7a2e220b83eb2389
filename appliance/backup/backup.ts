/**
 * @module Backups of a running box: a consistent DuckDB snapshot (COPY FROM DATABASE inside the
 * appliance, which holds the database: writes wait for the copy, nothing is torn), the vector index,
 * the users and API keys (hashes only; the token secret and sessions are left out, so a restored
 * box asks everyone to sign in again) and the config file, each with its sha256 in a manifest.
 * Written to `<dir>/<name>.partial` and renamed when complete; the newest `keep` are kept; when S3
 * sync is on, uploaded under `<prefix>/<device>/_backups/<name>/`. Restore checks every file
 * against the manifest before it replaces anything.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Db } from '../store/duckdb';
import type { S3Bucket } from '../objects/s3';
import { AppError } from '../shared/errors';
import { backupName, toPrune } from './schedule';

export interface BackupFile {
  path: string;
  bytes: number;
  sha256: string;
}
export interface Manifest {
  format: 1;
  name: string;
  device: string;
  created_at: string;
  schema_version: number;
  revision: string | null;
  counts: Record<string, number>;
  files: BackupFile[];
  duration_ms: number;
}

export interface BackupDeps {
  db: Db;
  /** Saves the index to its files (so the copy is current) and says where they are. */
  index: { flush(): Promise<void>; files: string[] };
  /** users.json, api-keys.json, the config file: copied when present. */
  extraFiles: string[];
  device: string;
  revision: () => string | null;
  bucket: { bucket: S3Bucket; prefix: string } | null;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of Bun.file(path).stream()) h.update(chunk);
  return h.digest('hex');
}

const COUNTED = ['images', 'events', 'detections', 'analysis_results', 'embeddings'] as const;

export async function takeBackup(d: BackupDeps, dir: string, keep: number, now = new Date()): Promise<Manifest> {
  const t0 = performance.now();
  // Two backups in one second (one taken by hand just after another) get distinct names.
  let name = backupName(d.device, now);
  for (let n = 2; existsSync(join(dir, name)); n++) name = `${backupName(d.device, now)}-${n}`;
  const tmp = join(dir, `${name}.partial`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700).catch(() => undefined);
  try {
    // One statement on the appliance's connection: a consistent snapshot; other writes queue behind it.
    const alias = `fovea_backup_${process.pid}`;
    const current = (await d.db.all<{ d: string }>('SELECT current_database() AS d'))[0]!.d;
    await d.db.run(`ATTACH '${join(tmp, 'fovea.duckdb').replace(/'/g, "''")}' AS ${alias}`);
    try {
      await d.db.run(`COPY FROM DATABASE "${current.replace(/"/g, '""')}" TO ${alias}`);
    } finally {
      await d.db.run(`DETACH ${alias}`);
    }
    const counts: Record<string, number> = {};
    for (const t of COUNTED)
      counts[t] = Number((await d.db.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n);
    const schema = Number(
      (await d.db.all<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations'))[0]!.v ?? 0,
    );
    await d.index.flush();
    await mkdir(join(tmp, 'index'));
    for (const f of d.index.files) if (existsSync(f)) await copyFile(f, join(tmp, 'index', basename(f)));
    for (const f of d.extraFiles) if (existsSync(f)) await copyFile(f, join(tmp, basename(f)));
    const files: BackupFile[] = [];
    for (const rel of [
      'fovea.duckdb',
      ...(await readdir(join(tmp, 'index'))).map((f) => `index/${f}`),
      ...d.extraFiles.filter(existsSync).map((f) => basename(f)),
    ]) {
      const p = join(tmp, rel);
      files.push({ path: rel, bytes: (await stat(p)).size, sha256: await sha256File(p) });
    }
    const manifest: Manifest = {
      format: 1,
      name,
      device: d.device,
      created_at: now.toISOString(),
      schema_version: schema,
      revision: d.revision(),
      counts,
      files,
      duration_ms: Math.round(performance.now() - t0),
    };
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    await rename(tmp, join(dir, name));
    for (const old of toPrune(
      (await readdir(dir)).filter((n) => n.startsWith('fovea-') && !n.endsWith('.partial')),
      keep,
    ))
      await rm(join(dir, old), { recursive: true, force: true });
    if (d.bucket) await upload(d.bucket, d.device, join(dir, name), manifest);
    return manifest;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

async function upload(b: NonNullable<BackupDeps['bucket']>, device: string, dir: string, m: Manifest): Promise<void> {
  const base = `${b.prefix}/${device}/_backups/${m.name}`;
  // The manifest last: a backup in the bucket with a manifest is complete.
  for (const f of [
    ...m.files,
    {
      path: 'manifest.json',
      bytes: (await stat(join(dir, 'manifest.json'))).size,
      sha256: await sha256File(join(dir, 'manifest.json')),
    },
  ]) {
    await b.bucket.putFile(`${base}/${f.path}`, join(dir, f.path), f.bytes, {
      sha256Hex: f.sha256,
      contentType: 'application/octet-stream',
      metadata: { device, backup: m.name },
    });
  }
}

/** Check a backup directory against its manifest; the manifest, or an error naming the bad file. */
export async function verifyBackup(dir: string): Promise<Manifest> {
  const mp = join(dir, 'manifest.json');
  if (!existsSync(mp)) throw new AppError('bad_request', `${dir} is not a fovea backup (no manifest.json)`);
  const m = JSON.parse(await Bun.file(mp).text()) as Manifest;
  if (m.format !== 1) throw new AppError('bad_request', `${dir}: backup format ${m.format} is not known to this fovea`);
  for (const f of m.files) {
    const p = join(dir, f.path);
    if (!existsSync(p)) throw new AppError('validation_failed', `${dir}: ${f.path} is missing`);
    if ((await sha256File(p)) !== f.sha256)
      throw new AppError('validation_failed', `${dir}: ${f.path} does not match its sha256 (corrupt or changed)`);
  }
  return m;
}

/**
 * Put a verified backup in place of a stopped box's state: the database and index (the previous
 * ones kept beside as *.before-restore-<time>), the users and keys. The caller checks the box is stopped.
 */
export async function restoreBackup(
  dir: string,
  state: { db: string; index: string; users: string; keys: string },
  now = new Date(),
): Promise<Manifest> {
  const m = await verifyBackup(dir);
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const aside = async (p: string) => {
    if (existsSync(p)) await rename(p, `${p}.before-restore-${stamp}`);
  };
  await aside(state.db);
  await aside(`${state.db}.wal`);
  await copyFile(join(dir, 'fovea.duckdb'), state.db);
  await aside(state.index);
  await mkdir(state.index, { recursive: true });
  for (const f of m.files.filter((x) => x.path.startsWith('index/')))
    await copyFile(join(dir, f.path), join(state.index, basename(f.path)));
  for (const [file, to] of [
    ['users.json', state.users],
    ['api-keys.json', state.keys],
  ] as const) {
    if (m.files.some((f) => f.path === file)) {
      await aside(to);
      await copyFile(join(dir, file), to);
      await chmod(to, 0o600);
    }
  }
  return m;
}
