/**
 * @module The ordered list of migrations. Files are imported as text so they are embedded in the
 * compiled binary. Append only: an applied migration is never edited (its checksum is recorded and
 * checked at every start).
 */
import m001 from './001_images.sql' with { type: 'text' };
import m002 from './002_results.sql' with { type: 'text' };
import m003 from './003_embeddings.sql' with { type: 'text' };
import m004 from './004_outbox.sql' with { type: 'text' };
import m005 from './005_event_seq.sql' with { type: 'text' };
import m006 from './006_sync.sql' with { type: 'text' };
import m007 from './007_fleet.sql' with { type: 'text' };
import m008 from './008_runs.sql' with { type: 'text' };

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  { version: 1, name: 'images', sql: m001 },
  { version: 2, name: 'results', sql: m002 },
  { version: 3, name: 'embeddings', sql: m003 },
  { version: 4, name: 'outbox', sql: m004 },
  { version: 5, name: 'event_seq', sql: m005 },
  { version: 6, name: 'sync', sql: m006 },
  { version: 7, name: 'fleet', sql: m007 },
  { version: 8, name: 'runs', sql: m008 },
];
