/**
 * @module Response headers every answer gets, and CORS for an allow-list of origins only. The API
 * speaks JSON and images: nothing may frame or sniff it, and it sends no referrer; its answers load
 * nothing. The dashboard's pages and assets may load what comes from the box itself (and images it
 * made into blob URLs), nothing from anywhere else. HSTS once it is served over TLS. A preflight from an allowed origin is
 * answered here, before the auth guard (a preflight carries no credential); any other origin gets
 * no CORS header at all, so the browser keeps the answer from the page.
 */
import { Elysia } from 'elysia';
import { METHODS } from './access';
import { pathOf, under } from './path';

const NONE = "default-src 'none'; frame-ancestors 'none'";
const APP =
  "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
// The API docs page (swagger-ui, served by the box) starts its viewer with an inline script.
const DOCS =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";
const isApi = (path: string) =>
  under(path, '/api/') || under(path, '/ws/') || ['/metrics', '/health', '/openapi.json'].includes(path.toLowerCase());
const HEADERS = 'authorization, x-api-key, content-type';

export const hardening = (o: { corsOrigins: string[]; hsts: boolean }) =>
  new Elysia({ name: 'hardening' }).onRequest(({ request, set }) => {
    const h = set.headers;
    // A malformed path is refused (400) by the guard; its answer still gets the API's headers.
    const path = (() => {
      try {
        return pathOf(request);
      } catch {
        return '/api/';
      }
    })();
    h['x-content-type-options'] = 'nosniff';
    h['x-frame-options'] = 'DENY';
    h['referrer-policy'] = 'no-referrer';
    h['cross-origin-resource-policy'] = 'same-site';
    h['content-security-policy'] = isApi(path) ? NONE : path.toLowerCase() === '/docs' ? DOCS : APP;
    if (under(path, '/api/auth/')) h['cache-control'] = 'no-store';
    if (o.hsts) h['strict-transport-security'] = 'max-age=31536000';
    const origin = request.headers.get('origin');
    if (!origin) return;
    h.vary = 'Origin';
    if (!o.corsOrigins.includes(origin)) return;
    h['access-control-allow-origin'] = origin;
    h['access-control-expose-headers'] = 'retry-after, www-authenticate';
    if (request.method === 'OPTIONS' && request.headers.get('access-control-request-method')) {
      return new Response(null, {
        status: 204,
        headers: {
          ...(h as Record<string, string>),
          'access-control-allow-methods': ['OPTIONS', ...METHODS].join(', '),
          'access-control-allow-headers': HEADERS,
          'access-control-max-age': '600',
        },
      });
    }
  });
