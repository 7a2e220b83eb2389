/**
 * @module Versioned schema migrations (the Alembic habit): each applied in order inside its own
 * transaction and recorded with a checksum; an applied migration whose text changed is an error.
 * Each has a down step, so a stopped box's database can be moved back to an older binary's version
 * (migrateTo); a down step that would drop stored rows is refused unless the caller accepts the loss.
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
  const top = Math.max(0, ...migrations.map((m) => m.version));
  return (await migrateTo(db, top, { acceptLoss: false }, migrations)).applied;
}

/** What a down step drops that holds rows: `table` or `table.column`, with how many rows. */
export interface Loss {
  version: number;
  what: string;
  rows: number;
}

/**
 * The tables and columns a down step drops: its DROP TABLE statements (but the scratch tables of a
 * rebuild, `*_down`, and the table a rebuild replaces), and the columns its `-- drops column:` lines
 * name (a rebuild drops them by leaving them out).
 */
export function dropsOf(down: string): Array<{ table: string; column: string | null }> {
  const out: Array<{ table: string; column: string | null }> = [];
  const rebuilt = new Set([...down.matchAll(/^\s*ALTER TABLE (\w+)_down RENAME TO (\w+)\s*;/gim)].map((m) => m[2]!));
  for (const m of down.matchAll(/^\s*DROP TABLE (?:IF EXISTS )?(\w+)\s*;/gim))
    if (!m[1]!.endsWith('_down') && !rebuilt.has(m[1]!)) out.push({ table: m[1]!, column: null });
  for (const m of down.matchAll(/^-- drops column: (.+)$/gim))
    for (const c of m[1]!.split(',')) {
      const [table, column] = c.trim().split('.');
      out.push({ table: table!, column: column! });
    }
  return out;
}

/** A statement's first keyword, past its leading comment lines. */
const verbOf = (statement: string) => /^\s*(?:--[^\n]*\n\s*)*(\w+)/.exec(statement)?.[1]?.toUpperCase() ?? '';

/**
 * A step's transactions (up or down): its text cut at lines that say `-- commit`, and wherever
 * row changes (UPDATE, INSERT, DELETE) and ALTER TABLE meet: DuckDB cannot change the rows of a
 * table altered in the same transaction, nor alter one whose rows it changed, which a step applied
 * to empty tables never shows (010 and 011, going up again after a down, with images). Statements
 * end with `;` at the end of a line.
 */
export function phasesOf(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/^-- commit$/m)) {
    let cur: string[] = [];
    let altered = false;
    let changed = false;
    for (const st of part.split(/;[ \t]*$/m)) {
      const verb = verbOf(st);
      if (!verb) continue;
      const dml = ['UPDATE', 'INSERT', 'DELETE'].includes(verb);
      if ((altered && dml) || (changed && verb === 'ALTER')) {
        out.push(`${cur.join(';\n')};`);
        cur = [];
        altered = false;
        changed = false;
      }
      cur.push(st.trim());
      if (verb === 'ALTER') altered = true;
      if (dml) changed = true;
    }
    if (cur.length) out.push(`${cur.join(';\n')};`);
  }
  return out;
}

/** The stored rows that going down through `steps` would lose. */
async function lossesOf(db: Db, steps: Migration[]): Promise<Loss[]> {
  const out: Loss[] = [];
  for (const m of steps)
    for (const d of dropsOf(m.down)) {
      const r = await db.all<{ n: bigint }>(
        `SELECT count(*) AS n FROM ${d.table}${d.column ? ` WHERE ${d.column} IS NOT NULL` : ''}`,
      );
      const rows = Number(r[0]!.n);
      if (rows > 0) out.push({ version: m.version, what: d.column ? `${d.table}.${d.column}` : d.table, rows });
    }
  return out;
}

/**
 * Move the schema up or down to `target` (0: empty). Up applies the pending migrations up to it;
 * down runs the down steps of the applied ones above it, newest first, each in its own transaction.
 * Going down over stored rows needs acceptLoss: without it nothing is changed and the error lists
 * what would be lost.
 */
export async function migrateTo(
  db: Db,
  target: number,
  opts: { acceptLoss: boolean },
  migrations: Migration[] = all,
): Promise<{ applied: number[]; reverted: number[]; lost: Loss[] }> {
  await ensureTable(db);
  const done = await applied(db);
  const known = new Set(migrations.map((m) => m.version));
  if (target !== 0 && !known.has(target))
    throw new AppError(
      'bad_request',
      `no migration ${target}: this build knows ${[...known].sort((a, b) => a - b).join(', ')} (0 is an empty database)`,
    );
  for (const v of done.keys()) {
    if (!known.has(v))
      throw new AppError(
        'store_failed',
        `database is at migration ${v}, which this build does not know: it was written by a newer fovea`,
      );
  }
  const down = [...migrations]
    .filter((m) => m.version > target && done.has(m.version))
    .sort((a, b) => b.version - a.version);
  for (const m of down) checkUnedited(m, done.get(m.version)!.checksum);
  const lost = await lossesOf(db, down);
  if (lost.length && !opts.acceptLoss)
    throw new AppError(
      'conflict',
      `going down to ${target} drops stored data: ${lost.map((l) => `${l.what} (${l.rows} rows, migration ${l.version})`).join(', ')}; back up first, then confirm`,
      { details: { lost } },
    );
  const reverted: number[] = [];
  for (const m of down) {
    const phases = phasesOf(m.down);
    for (const [i, sql] of phases.entries())
      await db.transaction(async (tx) => {
        await tx.run(sql);
        if (i === phases.length - 1) await tx.run('DELETE FROM schema_migrations WHERE version = $1', [m.version]);
      });
    reverted.push(m.version);
  }
  const now: number[] = [];
  for (const m of [...migrations].filter((m) => m.version <= target).sort((a, b) => a.version - b.version)) {
    const a = done.get(m.version);
    if (a) {
      checkUnedited(m, a.checksum);
      continue;
    }
    // A step may be cut in transactions (`-- commit`), each of which can be run again: DuckDB
    // cannot change the rows of a table altered in the same transaction. It counts as applied
    // with its last one.
    const phases = phasesOf(m.sql);
    for (const [i, sql] of phases.entries())
      await db.transaction(async (tx) => {
        await tx.run(sql);
        if (i === phases.length - 1)
          await tx.run('INSERT INTO schema_migrations VALUES ($1, $2, $3, now())', [
            m.version,
            m.name,
            checksum(m.sql),
          ]);
      });
    now.push(m.version);
  }
  // Schema changes go into the main file at once: a crash before the next checkpoint would
  // otherwise leave them to a WAL replay, which DuckDB does not manage for every kind of change.
  if (now.length || reverted.length) await db.checkpoint();
  return { applied: now, reverted, lost: opts.acceptLoss ? lost : [] };
}

function checkUnedited(m: Migration, recorded: string): void {
  if (recorded !== checksum(m.sql))
    throw new AppError(
      'store_failed',
      `migration ${m.version} (${m.name}) was edited after it was applied; add a new migration instead`,
    );
}
