/** @module Where each webhook is in the event sequence (table webhook_cursors), kept across restarts. */
import type { Db } from './duckdb';

export async function loadCursor(db: Db, name: string): Promise<number | null> {
  const r = await db.all<{ s: bigint }>('SELECT last_seq AS s FROM webhook_cursors WHERE name = $1', [name]);
  return r[0] ? Number(r[0].s) : null;
}

export async function saveCursor(db: Db, name: string, seq: number): Promise<void> {
  await db.run(
    'INSERT INTO webhook_cursors (name, last_seq, updated_at) VALUES ($1, $2, now()) ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at',
    [name, seq],
  );
}
