/**
 * @module Which rate budget a request counts against. API clients (keys, outside JWTs) keep
 * `api.rate_limit_per_minute`; people get `api.people_rate_limit_per_minute`, which a dashboard (a
 * grid of 200 thumbnails, Live polling frames of every stream) never exceeds: every read of a
 * signed-in session, and the media reads (thumbnails, files, latest frames) of anyone. Writes by
 * anyone count against the client budget; login has limits of its own. Pure.
 */
import type { Identity } from '../auth/identity';
import type { Budget } from '../auth/limits';

export type { Budget };

const MEDIA = [
  /^\/api\/images\/[^/]+\/(thumbnail|preview|file)\/?$/,
  /^\/api\/streams\/[^/]+\/(frame|latest)\/?$/,
  /^\/api\/notify\/thumbnail\/[^/]+\/?$/,
];

export function budgetOf(method: string, path: string, kind: Identity['kind'] | null): Budget {
  if (method !== 'GET') return 'clients';
  if (kind === 'login') return 'people';
  return MEDIA.some((re) => re.test(path)) ? 'people' : 'clients';
}
