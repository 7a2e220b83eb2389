/**
 * @module Where a box keeps its state, derived from the config alone (pure): the database, objects,
 * models, the vector index, users, keys and sessions, the token secret, and the pipelines.
 */
import { join, resolve } from 'node:path';
import type { Config } from './schema';

export interface Paths {
  state: string;
  db: string;
  objects: string;
  models: string;
  index: string;
  keys: string;
  users: string;
  sessions: string;
  authSecret: string;
  pipelines: string;
}

export function pathsOf(config: Config): Paths {
  const state = resolve(config.state_dir);
  return {
    state,
    db: join(state, 'fovea.duckdb'),
    objects: join(state, 'objects'),
    models: config.models.dir ? resolve(config.models.dir) : join(state, 'models'),
    index: join(state, 'index'),
    keys: join(state, 'api-keys.json'),
    users: join(state, 'users.json'),
    sessions: join(state, 'sessions.json'),
    authSecret: join(state, 'auth-secret'),
    pipelines: config.pipelines.dir ? resolve(config.pipelines.dir) : join(state, 'pipelines'),
  };
}
