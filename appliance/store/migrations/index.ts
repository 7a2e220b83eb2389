/**
 * @module The ordered list of migrations, each with its down step. Files are imported as text so they
 * are embedded in the compiled binary. Append only: an applied migration is never edited (its
 * checksum, of the up step, is recorded and checked at every start).
 */
import m001 from './001_images.sql' with { type: 'text' };
import m001down from './001_images.down.sql' with { type: 'text' };
import m002 from './002_results.sql' with { type: 'text' };
import m002down from './002_results.down.sql' with { type: 'text' };
import m003 from './003_embeddings.sql' with { type: 'text' };
import m003down from './003_embeddings.down.sql' with { type: 'text' };
import m004 from './004_outbox.sql' with { type: 'text' };
import m004down from './004_outbox.down.sql' with { type: 'text' };
import m005 from './005_event_seq.sql' with { type: 'text' };
import m005down from './005_event_seq.down.sql' with { type: 'text' };
import m006 from './006_sync.sql' with { type: 'text' };
import m006down from './006_sync.down.sql' with { type: 'text' };
import m007 from './007_fleet.sql' with { type: 'text' };
import m007down from './007_fleet.down.sql' with { type: 'text' };
import m008 from './008_runs.sql' with { type: 'text' };
import m008down from './008_runs.down.sql' with { type: 'text' };
import m009 from './009_analytics.sql' with { type: 'text' };
import m009down from './009_analytics.down.sql' with { type: 'text' };
import m010 from './010_library.sql' with { type: 'text' };
import m010down from './010_library.down.sql' with { type: 'text' };
import m011 from './011_import.sql' with { type: 'text' };
import m011down from './011_import.down.sql' with { type: 'text' };
import m012 from './012_shadow.sql' with { type: 'text' };
import m012down from './012_shadow.down.sql' with { type: 'text' };
import m013 from './013_run_owners.sql' with { type: 'text' };
import m013down from './013_run_owners.down.sql' with { type: 'text' };
import m014 from './014_recordings.sql' with { type: 'text' };
import m014down from './014_recordings.down.sql' with { type: 'text' };
import m015 from './015_notify.sql' with { type: 'text' };
import m015down from './015_notify.down.sql' with { type: 'text' };
import m016 from './016_classifiers.sql' with { type: 'text' };
import m016down from './016_classifiers.down.sql' with { type: 'text' };
import m017 from './017_review_sub_labels.sql' with { type: 'text' };
import m017down from './017_review_sub_labels.down.sql' with { type: 'text' };
import m018 from './018_image_text.sql' with { type: 'text' };
import m018down from './018_image_text.down.sql' with { type: 'text' };
import m019 from './019_review_texts.sql' with { type: 'text' };
import m019down from './019_review_texts.down.sql' with { type: 'text' };

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Undoes sql: what `fovea db migrate --to` runs to go back to an older binary's schema. */
  down: string;
}

export const migrations: Migration[] = [
  { version: 1, name: 'images', sql: m001, down: m001down },
  { version: 2, name: 'results', sql: m002, down: m002down },
  { version: 3, name: 'embeddings', sql: m003, down: m003down },
  { version: 4, name: 'outbox', sql: m004, down: m004down },
  { version: 5, name: 'event_seq', sql: m005, down: m005down },
  { version: 6, name: 'sync', sql: m006, down: m006down },
  { version: 7, name: 'fleet', sql: m007, down: m007down },
  { version: 8, name: 'runs', sql: m008, down: m008down },
  { version: 9, name: 'analytics', sql: m009, down: m009down },
  { version: 10, name: 'library', sql: m010, down: m010down },
  { version: 11, name: 'import', sql: m011, down: m011down },
  { version: 12, name: 'shadow', sql: m012, down: m012down },
  { version: 13, name: 'run_owners', sql: m013, down: m013down },
  { version: 14, name: 'recordings', sql: m014, down: m014down },
  { version: 15, name: 'notify', sql: m015, down: m015down },
  { version: 16, name: 'classifiers', sql: m016, down: m016down },
  { version: 17, name: 'review_sub_labels', sql: m017, down: m017down },
  { version: 18, name: 'image_text', sql: m018, down: m018down },
  { version: 19, name: 'review_texts', sql: m019, down: m019down },
];
