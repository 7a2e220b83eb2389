/**
 * @module Who may call what: one table, every route of the API with the one scope it needs (or
 * `public`, or `user` for any signed-in caller). The auth guard looks a request up here before its
 * body is read; a test walks the app's own route list against this table, so a route added without
 * a rule fails the build. `publicRead` marks the views that `api.public_read` opens to anonymous
 * callers: reads only, never an upload, a delete, a config change, keys or users. `publicAnalytics`
 * marks the aggregate views that `analytics.public` opens: counts and metrics, no image or event.
 */
import type { Scope } from '../auth/roles';
import { PAGES } from '../ui/app/routes';

export type Need = 'public' | 'user' | 'signup' | { scope: Scope; publicRead?: boolean; publicAnalytics?: boolean };
export interface Rule {
  method: string;
  path: string;
  need: Need;
}

const scoped = (scope: Scope, publicRead = false): Need => ({ scope, publicRead });
const aggregate: Need = { scope: 'analytics:read', publicRead: true, publicAnalytics: true };

export const ACCESS: Rule[] = [
  { method: 'GET', path: '/health', need: 'public' },
  { method: 'GET', path: '/metrics', need: scoped('metrics:read') },
  { method: 'GET', path: '/openapi.json', need: 'public' },
  { method: 'GET', path: '/docs', need: 'public' },
  { method: 'GET', path: '/docs/assets/:name', need: 'public' },
  // The dashboard: its pages and content-hashed assets are static; what they show comes from /api.
  ...PAGES.map((path) => ({ method: 'GET', path, need: 'public' as const })),
  { method: 'GET', path: '/assets/:name', need: 'public' },
  // The service worker that shows pushes: at the base, so that its scope is the whole dashboard.
  { method: 'GET', path: '/sw.js', need: 'public' },

  { method: 'POST', path: '/api/auth/login', need: 'public' },
  { method: 'POST', path: '/api/auth/refresh', need: 'public' },
  { method: 'POST', path: '/api/auth/logout', need: 'public' },
  { method: 'POST', path: '/api/auth/reset', need: 'public' },
  // The very first user of an empty box, else an admin (users:admin).
  { method: 'POST', path: '/api/auth/signup', need: 'signup' },
  { method: 'GET', path: '/api/auth/status', need: 'public' },
  { method: 'GET', path: '/api/auth/me', need: 'user' },

  { method: 'GET', path: '/api/users', need: scoped('users:admin') },
  { method: 'PATCH', path: '/api/users/:name', need: scoped('users:admin') },
  { method: 'DELETE', path: '/api/users/:name', need: scoped('users:admin') },
  { method: 'POST', path: '/api/users/:name/reset', need: scoped('users:admin') },
  { method: 'GET', path: '/api/keys', need: scoped('keys:admin') },
  { method: 'POST', path: '/api/keys', need: scoped('keys:admin') },
  { method: 'DELETE', path: '/api/keys/:id', need: scoped('keys:admin') },

  { method: 'GET', path: '/api/images', need: scoped('images:read', true) },
  { method: 'POST', path: '/api/images', need: scoped('images:write') },
  { method: 'POST', path: '/api/images/known', need: scoped('images:write') },
  { method: 'GET', path: '/api/images/:id', need: scoped('images:read', true) },
  { method: 'PATCH', path: '/api/images', need: scoped('images:write') },
  { method: 'PATCH', path: '/api/images/:id', need: scoped('images:write') },
  { method: 'DELETE', path: '/api/images/:id', need: scoped('images:write') },
  { method: 'GET', path: '/api/images/:id/file', need: scoped('images:read', true) },
  { method: 'GET', path: '/api/images/:id/thumbnail', need: scoped('images:read', true) },
  { method: 'GET', path: '/api/images/:id/preview', need: scoped('images:read', true) },
  { method: 'POST', path: '/api/search', need: scoped('images:read') },

  { method: 'GET', path: '/api/streams', need: scoped('streams:read', true) },
  { method: 'GET', path: '/api/streams/:id', need: scoped('streams:read', true) },
  { method: 'GET', path: '/api/streams/:id/pipeline', need: scoped('streams:read', true) },
  { method: 'GET', path: '/api/streams/:id/latest', need: scoped('streams:read', true) },
  { method: 'GET', path: '/api/streams/:id/frame', need: scoped('streams:read', true) },
  { method: 'GET', path: '/api/shadow', need: scoped('streams:read', true) },
  { method: 'GET', path: '/api/shadow/:stream', need: scoped('streams:read', true) },
  { method: 'PATCH', path: '/api/streams/:id', need: scoped('streams:write') },
  { method: 'PUT', path: '/api/streams/:id/detection', need: scoped('streams:write') },
  { method: 'GET', path: '/api/events', need: scoped('events:read', true) },
  { method: 'GET', path: '/api/events/:id', need: scoped('events:read', true) },
  { method: 'GET', path: '/api/events/:id/clip.mp4', need: scoped('events:read') },
  // Web push: each signed-in caller's own browsers (their rows are theirs alone).
  { method: 'GET', path: '/api/notify/vapid', need: 'user' },
  { method: 'GET', path: '/api/notify/subscriptions', need: 'user' },
  { method: 'POST', path: '/api/notify/subscriptions', need: 'user' },
  { method: 'PATCH', path: '/api/notify/subscriptions/:id', need: 'user' },
  { method: 'DELETE', path: '/api/notify/subscriptions/:id', need: 'user' },
  { method: 'POST', path: '/api/notify/subscriptions/:id/test', need: 'user' },
  // Classifiers trained on the box: read with images:read; made, taught, evaluated and saved by operators.
  { method: 'GET', path: '/api/classifiers', need: scoped('images:read') },
  { method: 'POST', path: '/api/classifiers', need: scoped('images:write') },
  { method: 'GET', path: '/api/classifiers/:name', need: scoped('images:read') },
  { method: 'DELETE', path: '/api/classifiers/:name', need: scoped('images:write') },
  { method: 'POST', path: '/api/classifiers/:name/examples', need: scoped('images:write') },
  { method: 'GET', path: '/api/classifiers/:name/examples', need: scoped('images:read') },
  { method: 'DELETE', path: '/api/classifiers/:name/examples/:id', need: scoped('images:write') },
  { method: 'POST', path: '/api/classifiers/:name/evaluate', need: scoped('images:write') },
  { method: 'GET', path: '/api/classifiers/:name/inbox', need: scoped('images:read') },
  { method: 'POST', path: '/api/classifiers/:name/inbox/:id', need: scoped('images:write') },
  { method: 'DELETE', path: '/api/classifiers/:name/inbox/:id', need: scoped('images:write') },
  { method: 'POST', path: '/api/classifiers/:name/save', need: scoped('images:write') },
  // A pushed thumbnail: the signed link in the (end-to-end encrypted) push is its credential.
  { method: 'GET', path: '/api/notify/thumbnail/:id', need: 'public' },
  { method: 'GET', path: '/api/review', need: scoped('events:read') },
  { method: 'POST', path: '/api/review/reviewed', need: scoped('events:read') },
  { method: 'GET', path: '/api/review/:id', need: scoped('events:read') },
  { method: 'PATCH', path: '/api/review/:id', need: scoped('streams:write') },
  { method: 'GET', path: '/api/review/:id/clip.mp4', need: scoped('events:read') },
  { method: 'GET', path: '/api/recordings', need: scoped('streams:read') },
  { method: 'GET', path: '/api/recordings/:stream', need: scoped('streams:read') },
  { method: 'GET', path: '/api/recordings/:stream/clip.mp4', need: scoped('streams:read') },
  { method: 'GET', path: '/api/recordings/:stream/play.mp4', need: scoped('streams:read') },
  { method: 'GET', path: '/ws/analysis', need: scoped('events:read') },
  { method: 'GET', path: '/ws/live/:id', need: scoped('streams:read') },
  { method: 'GET', path: '/api/stages', need: scoped('streams:read') },
  { method: 'GET', path: '/api/models', need: scoped('streams:read') },
  { method: 'GET', path: '/api/pipelines', need: scoped('streams:read') },
  { method: 'GET', path: '/api/pipelines/:name', need: scoped('streams:read') },
  { method: 'POST', path: '/api/pipelines/validate', need: scoped('streams:read') },
  { method: 'PUT', path: '/api/pipelines/:name', need: scoped('streams:write') },

  { method: 'POST', path: '/api/runs', need: scoped('runs:write') },
  { method: 'GET', path: '/api/runs', need: scoped('runs:read') },
  { method: 'GET', path: '/api/runs/:id', need: scoped('runs:read') },
  { method: 'GET', path: '/api/runs/:id/log', need: scoped('runs:read') },
  { method: 'GET', path: '/api/runs/:id/files/:dir/:name', need: scoped('runs:read') },
  { method: 'POST', path: '/api/runs/:id/cancel', need: scoped('runs:write') },
  { method: 'POST', path: '/api/runs/:id/retry', need: scoped('runs:write') },
  { method: 'POST', path: '/api/runs/:id/resubmit', need: scoped('runs:write') },
  { method: 'DELETE', path: '/api/runs/:id', need: scoped('runs:write') },

  { method: 'GET', path: '/api/sessions', need: aggregate },
  { method: 'POST', path: '/api/sessions', need: scoped('analytics:write') },
  { method: 'GET', path: '/api/sessions/:id', need: aggregate },
  { method: 'PATCH', path: '/api/sessions/:id', need: scoped('analytics:write') },
  { method: 'DELETE', path: '/api/sessions/:id', need: scoped('analytics:write') },
  { method: 'GET', path: '/api/analytics/calendar/:metric', need: aggregate },
  { method: 'GET', path: '/api/analytics/time-series', need: aggregate },
  { method: 'GET', path: '/api/analytics/classes', need: aggregate },

  { method: 'GET', path: '/api/publish/status', need: scoped('publish:read') },
  { method: 'GET', path: '/api/system', need: scoped('metrics:read') },
  { method: 'GET', path: '/api/sync', need: scoped('sync:read') },
  { method: 'GET', path: '/api/fleet', need: scoped('fleet:read') },
  { method: 'GET', path: '/api/backup', need: scoped('backup:admin') },
  { method: 'POST', path: '/api/backup', need: scoped('backup:admin') },
  { method: 'POST', path: '/api/fleet/sync', need: scoped('fleet:write') },
];

/** Elysia path patterns to matchers (':id' is one segment), for canonical paths (path.ts) in any letter case. */
const compiled = ACCESS.map((r) => ({
  rule: r,
  re: new RegExp(
    `^${r.path
      .replace(/\/$/, '')
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:[a-z]+/g, '[^/]+')}/?$`,
    'i',
  ),
}));

/** Every method some route takes (what a CORS preflight may be told). */
export const METHODS = [...new Set(ACCESS.map((r) => r.method))];

/** The rule of a request (its canonical path, path.ts); HEAD is GET. Null for a path the table does not know (the app answers 404). */
export function ruleOf(method: string, path: string): Rule | null {
  const m = method === 'HEAD' ? 'GET' : method;
  return compiled.find((c) => c.rule.method === m && c.re.test(path))?.rule ?? null;
}
