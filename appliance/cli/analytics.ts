/**
 * @module `fovea analytics rebuild`: recompute the analytics tables of a stopped box from its raw
 * results (the check that the incremental tables are right, or a repair). The running appliance
 * rebuilds by itself when the time zone or the independence interval changes.
 */
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { print, setup } from './context';
import { Db } from '../store/duckdb';
import { migrate } from '../store/migrate';
import { rebuild } from '../store/analytics';
import { basisOf } from '../analytics/model';
import { pathsOf } from '../config/paths';
import { AppError } from '../shared/errors';

export const analytics: Command = {
  name: 'analytics',
  summary: 'recompute the analytics tables from the raw results',
  usage: `Usage: fovea analytics rebuild [--config FILE]

rebuild recomputes every per-class record and daily row from the stored detections and zone events,
in the configured time zone and independence interval. Stop the appliance first.`,
  options: { ...CONFIG_OPTION },
  async run(values, [action]) {
    const { config } = setup(values);
    if (action !== 'rebuild') throw new AppError('bad_request', analytics.usage);
    const basis = basisOf(config.analytics);
    const conn = await Db.open(pathsOf(config).db);
    try {
      await migrate(conn);
      const t = performance.now();
      const r = await rebuild(conn, basis);
      print(
        `rebuilt in ${Math.round(performance.now() - t)} ms: ${r.records} records, ${r.days} days (${basis.timeZone}, independence ${basis.independenceS} s)`,
      );
      return 0;
    } finally {
      conn.close();
    }
  },
};
