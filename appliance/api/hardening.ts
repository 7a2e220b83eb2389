/**
 * @module Response headers every answer gets, and CORS for an allow-list of origins only. The API
 * speaks JSON and images, never HTML of its own (but /docs): nothing may frame or sniff it, and it
 * sends no referrer. HSTS once it is served over TLS. A preflight from an allowed origin is
 * answered here, before the auth guard (a preflight carries no credential); any other origin gets
 * no CORS header at all, so the browser keeps the answer from the page.
 */
import { Elysia } from 'elysia';

const METHODS = 'GET, POST, PATCH, DELETE';
const HEADERS = 'authorization, x-api-key, content-type';

export const hardening = (o: { corsOrigins: string[]; hsts: boolean }) =>
  new Elysia({ name: 'hardening' }).onRequest(({ request, set }) => {
    const path = new URL(request.url).pathname;
    const h = set.headers;
    h['x-content-type-options'] = 'nosniff';
    h['x-frame-options'] = 'DENY';
    h['referrer-policy'] = 'no-referrer';
    h['cross-origin-resource-policy'] = 'same-site';
    // The docs page loads its viewer from a CDN; everything else needs nothing from anywhere.
    if (path !== '/docs') h['content-security-policy'] = "default-src 'none'; frame-ancestors 'none'";
    if (path.startsWith('/api/auth/')) h['cache-control'] = 'no-store';
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
          'access-control-allow-methods': METHODS,
          'access-control-allow-headers': HEADERS,
          'access-control-max-age': '600',
        },
      });
    }
  });
