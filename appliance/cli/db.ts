/**
 * @module `fovea db status|migrate`: the schema version of the state database. `serve` migrates at
 * start too; these are for operators (and fail clearly while the appliance holds the file).
 */
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { print, setup } from './context';
import { Db } from '../store/duckdb';
import { migrate, status } from '../store/migrate';
import { pathsOf } from '../config/paths';
import { AppError } from '../shared/errors';
import { mkdir } from 'node:fs/promises';

export const db: Command = {
  name: 'db',
  summary: 'show or apply database migrations',
  usage: `Usage: fovea db status [--config FILE]
       fovea db migrate [--config FILE]

status lists each migration as applied or pending; migrate applies the pending ones in order.`,
  options: { ...CONFIG_OPTION },
  async run(values, [action]) {
    const { config } = setup(values);
    if (action !== 'status' && action !== 'migrate') throw new AppError('bad_request', db.usage);
    const paths = pathsOf(config);
    await mkdir(paths.state, { recursive: true });
    const conn = await Db.open(paths.db);
    try {
      if (action === 'migrate') {
        const applied = await migrate(conn);
        print(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
      }
      for (const m of await status(conn))
        print(
          `${String(m.version).padStart(4, '0')} ${m.name.padEnd(24)} ${m.status}${m.applied_at ? ` ${m.applied_at}` : ''}`,
        );
      return 0;
    } finally {
      conn.close();
    }
  },
};
