/**
 * @module Versioned schema migrations (the Alembic habit): each applied in order inside its own
 * transaction and recorded with a checksum; an applied migration whose text changed is an error.
 */
import { createHash } from 'node:crypto';
import type { Db } from './duckdb';
import { migrations as all, type Migration } from './migrations';
import { AppError } from '../shared/errors';

export interface MigrationState {
  version: number;
  name: string;
  applied_at: string | null;
  status: 'applied' | 'pending';
}

const checksum = (sql: string) => createHash('sha256').update(sql).digest('hex');

async function ensureTable(db: Db): Promise<void> {
  await db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`);
}

async function applied(db: Db): Promise<Map<number, { name: string; checksum: string; applied_at: Date }>> {
  const rows = await db.all<{ version: number; name: string; checksum: string; applied_at: Date }>(
    'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
  );
  return new Map(rows.map((r) => [r.version, r]));
}

export async function status(db: Db, migrations: Migration[] = all): Promise<MigrationState[]> {
  await ensureTable(db);
  const done = await applied(db);
  return migrations.map((m) => {
    const a = done.get(m.version);
    return {
      version: m.version,
      name: m.name,
      applied_at: a ? new Date(a.applied_at).toISOString() : null,
      status: a ? 'applied' : 'pending',
    };
  });
}

/** Apply every pending migration in order; returns the versions applied now. */
export async function migrate(db: Db, migrations: Migration[] = all): Promise<number[]> {
  await ensureTable(db);
  const done = await applied(db);
  const known = new Set(migrations.map((m) => m.version));
  for (const v of done.keys()) {
    if (!known.has(v))
      throw new AppError(
        'store_failed',
        `database is at migration ${v}, which this build does not know: it was written by a newer fovea`,
      );
  }
  const now: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    const a = done.get(m.version);
    if (a) {
      if (a.checksum !== checksum(m.sql)) {
        throw new AppError(
          'store_failed',
          `migration ${m.version} (${m.name}) was edited after it was applied; add a new migration instead`,
        );
      }
      continue;
    }
    await db.transaction(async (tx) => {
      await tx.run(m.sql);
      await tx.run('INSERT INTO schema_migrations VALUES ($1, $2, $3, now())', [m.version, m.name, checksum(m.sql)]);
    });
    now.push(m.version);
  }
  return now;
}
