/**
 * @module The dashboard over HTTP: each page path (ui/app/routes.ts) answers the app's page, so deep
 * links and reloads work; `assets/<name>-<hash>.<ext>` are content-hashed and cached for a year;
 * `api.base_path` puts the app under a reverse proxy's sub-path (the proxy strips it; links keep it).
 * Assets and pages are static: the rate limits and the credential check are for /api only.
 */
import { Elysia } from 'elysia';
import type { UiBundle } from '../ui/bundle';
import { PAGES } from '../ui/app/routes';
import { AppError } from '../shared/errors';

/** The base href for a base path: always one leading and one trailing slash. */
export const baseHref = (basePath: string) => `/${basePath.replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');

export const uiApi = (ui: Promise<UiBundle>, basePath: string) => {
  const base = baseHref(basePath);
  const page = async () =>
    new Response((await ui).index.replace('__BASE__', base), {
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
    });
  const app = new Elysia({ name: 'ui', detail: { hide: true } }).get('/assets/:name', async ({ params }) => {
    const f = (await ui).assets.get(`assets/${params.name}`);
    if (!f) throw new AppError('not_found', `no asset ${params.name}`);
    return new Response(f.body, {
      headers: { 'content-type': f.type, 'cache-control': 'public, max-age=31536000, immutable' },
    });
  });
  for (const p of PAGES) app.get(p, page);
  return app;
};
