/**
 * @module `fovea db status|migrate`: the schema version of the state database. `serve` migrates at
 * start too; these are for operators (and fail clearly while the appliance holds the file).
 * `migrate --to N` moves a stopped box's database down (or up) to version N, so an older binary can
 * run on it again; going down over stored data needs --yes.
 */
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { print, setup } from './context';
import { Db } from '../store/duckdb';
import { migrateTo, status } from '../store/migrate';
import { migrations } from '../store/migrations';
import { pathsOf } from '../config/paths';
import { AppError } from '../shared/errors';
import { mkdir } from 'node:fs/promises';

export const db: Command = {
  name: 'db',
  summary: 'show or apply database migrations',
  usage: `Usage: fovea db status [--config FILE]
       fovea db migrate [--to VERSION] [--yes] [--config FILE]

status lists each migration as applied or pending; migrate applies the pending ones in order.
--to VERSION moves the database to that version, up or down (0 is empty): to run an older fovea,
stop this one and go down to the newest version the older one knows. A down step that would drop
stored rows is refused, naming them, unless --yes is given (take a backup first: fovea backup).`,
  options: { ...CONFIG_OPTION, to: { type: 'string' }, yes: { type: 'boolean' } },
  async run(values, [action]) {
    const { config } = setup(values);
    if (action !== 'status' && action !== 'migrate') throw new AppError('bad_request', db.usage);
    const paths = pathsOf(config);
    await mkdir(paths.state, { recursive: true });
    const conn = await Db.open(paths.db);
    try {
      if (action === 'migrate') {
        const top = Math.max(...migrations.map((m) => m.version));
        const to = values.to === undefined ? top : Number(values.to);
        if (!Number.isInteger(to) || to < 0)
          throw new AppError('bad_request', `--to takes a migration version (0 to ${top}), not ${String(values.to)}`);
        const r = await migrateTo(conn, to, { acceptLoss: !!values.yes });
        if (r.reverted.length) print(`reverted: ${r.reverted.join(', ')}`);
        for (const l of r.lost) print(`dropped ${l.what}: ${l.rows} rows`);
        if (r.applied.length) print(`applied: ${r.applied.join(', ')}`);
        if (!r.applied.length && !r.reverted.length) print(`already at ${to}`);
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
