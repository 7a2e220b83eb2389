/**
 * @module `fovea backup` and `fovea restore`. A running appliance holds its database, so `backup`
 * asks it (POST /api/backup, with the key in FOVEA_TOKEN) and it takes the snapshot itself; a
 * stopped box is backed up directly. `restore` puts a verified backup in place of a stopped box's
 * state (it refuses while the appliance runs).
 */
import { resolve } from 'node:path';
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { apiUrlOf, print, setup } from './context';
import { pathsOf } from '../config/paths';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { takeBackup, restoreBackup } from '../backup/backup';
import { AppError } from '../shared/errors';
import { hostname } from 'node:os';
import { Db } from '../store/duckdb';

export const backup: Command = {
  name: 'backup',
  summary: 'take a backup (database snapshot, index, users, keys, config)',
  usage: `Usage: fovea backup [--url URL] [--to DIR] [--config FILE]

With the appliance running, asks it for a backup (POST URL/api/backup; the key in FOVEA_TOKEN, with
backup:admin; URL defaults to the configured API address). With it stopped, writes one itself to
--to DIR (default: backup.dir, else <state_dir>/backups). Prints the backup's name.`,
  options: { ...CONFIG_OPTION, url: { type: 'string' }, to: { type: 'string' } },
  async run(values) {
    const { config, log, file } = setup(values);
    const paths = pathsOf(config);
    const db = await Db.openUnlessHeld(paths.db);
    if (!db) {
      const url = (values.url as string | undefined) ?? apiUrlOf(config);
      const res = await fetch(`${url}/api/backup`, {
        method: 'POST',
        headers: process.env.FOVEA_TOKEN ? { authorization: `Bearer ${process.env.FOVEA_TOKEN}` } : {},
      });
      const body = (await res.json()) as { name?: string; error?: { message: string } };
      if (!res.ok)
        throw new AppError(
          'unavailable',
          `the appliance at ${url} refused the backup (${res.status}): ${body.error?.message ?? ''}`,
        );
      print(body.name!);
      return 0;
    }
    // A stopped box: its database as it is (not migrated: a backup keeps what was there), its index files.
    try {
      const dir = values.to ? resolve(values.to as string) : paths.backups;
      const index = existsSync(paths.index)
        ? (await readdir(paths.index)).filter((f) => /\.(usearch|json)$/.test(f)).map((f) => join(paths.index, f))
        : [];
      const m = await takeBackup(
        {
          db,
          index: { flush: async () => {}, files: index },
          extraFiles: [paths.users, paths.keys, ...(file ? [file] : [])],
          device: config.device_id || hostname(),
          revision: () => null,
          bucket: null,
        },
        dir,
        config.backup.keep,
      );
      log.info('backup written', { name: m.name, dir });
      print(m.name);
    } finally {
      db.close();
    }
    return 0;
  },
};

export const restore: Command = {
  name: 'restore',
  summary: 'bring a box back from a backup directory (the appliance must be stopped)',
  usage: `Usage: fovea restore DIR [--config FILE]

Checks every file of the backup in DIR against its manifest, then puts its database, index, users
and API keys in place of the state in state_dir (the previous files are kept beside as
*.before-restore-<time>). The appliance must be stopped. Sign-ins start afresh (token secrets and
sessions are not in backups); the index is rebuilt at start if it does not match the database.`,
  options: { ...CONFIG_OPTION },
  async run(_values, [dir]) {
    if (!dir) throw new AppError('bad_request', restore.usage);
    const { config } = setup(_values);
    const paths = pathsOf(config);
    // Refuse while the appliance holds the database: it would keep writing over what is restored.
    const db = await Db.openUnlessHeld(paths.db);
    if (!db)
      throw new AppError(
        'unavailable',
        'the appliance is running on this state_dir: stop it first (systemctl stop fovea)',
      );
    db.close();
    const m = await restoreBackup(resolve(dir), {
      db: paths.db,
      index: paths.index,
      users: paths.users,
      keys: paths.keys,
    });
    print(
      `restored ${m.name} (${m.created_at}): ${Object.entries(m.counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
    );
    return 0;
  },
};
