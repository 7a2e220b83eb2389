/**
 * @module Where a box keeps its state, derived from the config alone (pure): the database, objects,
 * models, the vector index, users, keys and sessions, the token secret, the pipelines, the fleet
 * agent's files and the backups. Each path is described here, and docs/reference/state.md is
 * generated from these descriptions. Also where the shared mirror of models and media is looked for
 * (the one place here that reads the file system).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from './schema';

export interface Paths {
  state: string;
  db: string;
  objects: string;
  models: string;
  trtCache: string;
  index: string;
  keys: string;
  users: string;
  sessions: string;
  authSecret: string;
  pipelines: string;
  runs: string;
  fleet: string;
  backups: string;
  recordings: string;
  classifiers: string;
}

export function pathsOf(config: Config): Paths {
  const state = resolve(config.state_dir);
  return {
    state,
    db: join(state, 'fovea.duckdb'),
    objects: join(state, 'objects'),
    models: config.models.dir ? resolve(config.models.dir) : join(state, 'models'),
    trtCache: join(state, 'trt-cache'),
    index: join(state, 'index'),
    keys: join(state, 'api-keys.json'),
    users: join(state, 'users.json'),
    sessions: join(state, 'sessions.json'),
    authSecret: join(state, 'auth-secret'),
    pipelines: config.pipelines.dir ? resolve(config.pipelines.dir) : join(state, 'pipelines'),
    runs: join(state, 'runs'),
    fleet: join(state, 'fleet'),
    backups: config.backup.dir ? resolve(config.backup.dir) : join(state, 'backups'),
    recordings: config.recordings.dir ? resolve(config.recordings.dir) : join(state, 'recordings'),
    classifiers: join(state, 'classifiers'),
  };
}

/** What each path holds, and the config key that moves it (when one does). */
export const PATH_DOCS: Record<keyof Paths, { what: string; key?: string }> = {
  state: { what: 'the state directory: everything below lives here unless its key moves it', key: 'state_dir' },
  db: {
    what: 'DuckDB: images (metadata, EXIF, tags, embedding), analysis results, detections, events, embeddings, the MQTT outbox, the sync queue, webhook cursors, schema_migrations; `.wal` beside it',
  },
  objects: {
    what: 'originals, thumbnails and event snapshots, content-addressed by sha256 (`ab/abcd….jpg`), written atomically (temp file, fsync, rename)',
  },
  models: { what: 'verified model files (sha256-checked at pull and at start)', key: 'models.dir' },
  trtCache: {
    what: 'TensorRT engines built for this GPU from the models (provider tensorrt): built once, reused at every start',
  },
  index: {
    what: 'the HNSW index per embedding model (`<model>.usearch`) and its fingerprint (`.json`: count, key sum, highest key), and its embeddings as float32 by vector key (`.f32`: search by id, exact search of a small library, the exact re-rank; rebuilt with the index)',
  },
  keys: { what: 'API key hashes (SHA-256 only; mode 0600)' },
  users: { what: 'users: names, roles, argon2id password hashes, reset-token hashes (mode 0600)' },
  sessions: { what: 'refresh-token families, hashed, for rotation and reuse detection (mode 0600)' },
  authSecret: { what: "the box's own 32-byte token-signing secret, made at first start (mode 0600)" },
  classifiers: {
    what: 'classifiers trained on the box: `<name>/head.onnx` (the head) and `<name>/card.json` (its classes, evaluation and embedding model)',
  },
  pipelines: { what: 'pipeline YAML files of this box, beside the built-in ones', key: 'pipelines.dir' },
  runs: {
    what: "pipeline runs' files: `<run id>/in/` (uploaded inputs) and `<run id>/out/` (annotated outputs), removed with the run",
  },
  fleet: {
    what: 'with a fleet repo: `mirror.git` (bare mirror), `rev/<sha>/` (each exported revision), `state.json` (applied, on trial, failed, history)',
  },
  backups: { what: 'backups, newest `backup.keep` kept, each with a sha256 manifest', key: 'backup.dir' },
  recordings: {
    what: 'recorded segments by stream copy: `<stream>/<date>/<UTC start>.mp4` (indexed in DuckDB), `<stream>/.cache/` for segments being written or waiting for triage, `.clips/` for clips cut in the last 10 minutes',
    key: 'recordings.dir',
  },
};

/** The shared material directory (models and media mirrors), when there is one. */
export function sharedDir(): string | null {
  const dir = resolve(process.env.FOVEA_SHARED ?? '../shared');
  return existsSync(dir) ? dir : null;
}

/** A sub-directory of the shared material (`media/videos`…), when there is one. */
export function sharedMirror(sub: string): string | null {
  const shared = sharedDir();
  return shared && existsSync(join(shared, sub)) ? join(shared, sub) : null;
}

/** The model mirror: the config's, else <shared>/models when present. */
export function modelMirror(config: Config): string | undefined {
  if (config.models.mirror) return resolve(config.models.mirror);
  return sharedMirror('models') ?? undefined;
}
