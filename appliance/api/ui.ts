/**
 * @module The dashboard over HTTP: each page path (ui/app/routes.ts) answers the app's page, so deep
 * links and reloads work; `assets/<name>-<hash>.<ext>` are content-hashed and cached for a year;
 * `sw.js` is the service worker that shows pushes, at the base so that its scope is the whole app;
 * `api.base_path` puts the app under a reverse proxy's sub-path (the proxy strips it; links keep it).
 * Assets and pages are static: the rate limits and the credential check are for /api only.
 */
import { Elysia } from 'elysia';
import type { UiBundle } from '../ui/bundle';
import { PAGES } from '../ui/app/routes';
import { AppError } from '../shared/errors';
import { pathOf, under } from './path';

/** The base href for a base path: always one leading and one trailing slash. */
export const baseHref = (basePath: string) => `/${basePath.replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');

/** The dashboard's one page (the app routes in the browser), with its base, as `status`. */
const pageOf = async (ui: Promise<UiBundle>, basePath: string, status = 200) =>
  new Response((await ui).index.replace('__BASE__', baseHref(basePath)), {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
  });

/** Paths that belong to the API and its documents: their 404 stays JSON. */
const NOT_PAGES = ['/api/', '/ws/', '/assets/', '/docs/'];
const NOT_PAGE = ['/metrics', '/health', '/openapi.json', '/docs'];

/**
 * The dashboard's page, answered 404, for a browser asking for an address no route has: the app
 * then shows its own "not found" with the menu. Anything else (an API client, an API path) gets null.
 */
export const notFoundPage =
  (ui: Promise<UiBundle>, basePath: string) =>
  async (req: Request): Promise<Response | null> => {
    if (req.method !== 'GET' || !(req.headers.get('accept') ?? '').includes('text/html')) return null;
    let path: string;
    try {
      path = pathOf(req).toLowerCase();
    } catch {
      return null;
    }
    if (NOT_PAGE.includes(path) || NOT_PAGES.some((p) => under(path, p))) return null;
    return pageOf(ui, basePath, 404);
  };

export const uiApi = (ui: Promise<UiBundle>, basePath: string) => {
  const page = () => pageOf(ui, basePath);
  const app = new Elysia({ name: 'ui', detail: { hide: true } }).get('/assets/:name', async ({ params }) => {
    const f = (await ui).assets.get(`assets/${params.name}`);
    if (!f) throw new AppError('not_found', `no asset ${params.name}`);
    return new Response(f.body, {
      headers: { 'content-type': f.type, 'cache-control': 'public, max-age=31536000, immutable' },
    });
  });
  // The service worker: one address for good, so it is revalidated each time (browsers check it daily anyway).
  app.get('/sw.js', async () => {
    const f = (await ui).assets.get('sw.js')!;
    return new Response(f.body, { headers: { 'content-type': f.type, 'cache-control': 'no-cache' } });
  });
  for (const p of PAGES) app.get(p, page);
  return app;
};
