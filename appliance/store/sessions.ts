/**
 * @module Analysis sessions in DuckDB (migration 009): a named scope over streams (and their zones),
 * runs and a time window. Queries only; what a valid session is, analytics/sessions decides.
 */
import type { Sql } from './duckdb';
import type { AnalysisSession } from '../contracts/analytics';

interface SessionRow {
  id: string;
  name: string;
  description: string;
  owner: string | null;
  streams: string;
  runs: string;
  starts_at: Date;
  ends_at: Date | null;
  created_at: Date;
  updated_at: Date;
  public: boolean;
}

const COLUMNS =
  'id::VARCHAR AS id, name, description, owner, streams::VARCHAR AS streams, runs::VARCHAR AS runs, starts_at, ends_at, created_at, updated_at, public';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const toSession = (r: SessionRow): AnalysisSession => ({
  id: r.id,
  name: r.name,
  description: r.description,
  owner: r.owner,
  streams: JSON.parse(r.streams),
  runs: JSON.parse(r.runs),
  starts_at: iso(r.starts_at)!,
  ends_at: iso(r.ends_at),
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
  public: r.public,
});

export async function listSessions(db: Sql): Promise<AnalysisSession[]> {
  return (await db.all<SessionRow>(`SELECT ${COLUMNS} FROM analysis_sessions ORDER BY starts_at DESC, name`)).map(
    toSession,
  );
}

export async function getSession(db: Sql, id: string): Promise<AnalysisSession | null> {
  const r = await db.all<SessionRow>(`SELECT ${COLUMNS} FROM analysis_sessions WHERE id = TRY_CAST($1 AS UUID)`, [id]);
  return r[0] ? toSession(r[0]) : null;
}

/** Insert or replace a session, whole. */
export async function putSession(db: Sql, s: AnalysisSession): Promise<void> {
  await db.run(
    `INSERT OR REPLACE INTO analysis_sessions VALUES ($1::UUID, $2, $3, $4, $5::JSON, $6::JSON, $7::TIMESTAMPTZ, $8::TIMESTAMPTZ, $9::TIMESTAMPTZ, $10::TIMESTAMPTZ, $11)`,
    [
      s.id,
      s.name,
      s.description,
      s.owner,
      JSON.stringify(s.streams),
      JSON.stringify(s.runs),
      s.starts_at,
      s.ends_at,
      s.created_at,
      s.updated_at,
      s.public,
    ],
  );
}

export async function deleteSession(db: Sql, id: string): Promise<boolean> {
  const r = await db.all<{ n: bigint }>(
    'DELETE FROM analysis_sessions WHERE id = TRY_CAST($1 AS UUID) RETURNING 1 AS n',
    [id],
  );
  return r.length > 0;
}
