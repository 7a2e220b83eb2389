/**
 * @module Guards /api/*: an API key (X-API-Key or Authorization: Bearer) and rate limits per client IP
 * and per key. It runs on request, before the body is read, so an anonymous or throttled client
 * cannot make the box parse a 10 MB upload. /health, /metrics and the API docs stay open. Refusals
 * are thrown, so they go through the one error mapping (and are counted in the HTTP metrics).
 */
import { Elysia } from 'elysia';
import { AppError } from '../shared/errors';
import { RateLimiter } from '../auth/ratelimit';
import type { KeyIdentity } from '../auth/keys';

export interface AuthOptions {
  required: boolean;
  /** /metrics needs a credential too. */
  metricsAuth?: boolean;
  perMinute: number;
  verify: (token: string) => KeyIdentity | null;
  now?: () => number;
}

export function tokenOf(headers: Headers): string | null {
  const key = headers.get('x-api-key');
  if (key) return key.trim();
  const auth = headers.get('authorization');
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m ? m[1]!.trim() : null;
}

const limited = (retryAfterS: number, who: string) =>
  new AppError('rate_limited', `too many requests from this ${who}; retry in ${retryAfterS} s`, { headers: { 'retry-after': String(retryAfterS) }, details: { retry_after_s: retryAfterS } });

export const authGuard = (opts: AuthOptions) => {
  const byIp = new RateLimiter(opts.perMinute, opts.now);
  const byKey = new RateLimiter(opts.perMinute, opts.now);
  return new Elysia({ name: 'auth' }).onRequest(({ request, server }) => {
    const path = new URL(request.url).pathname;
    if (!path.startsWith('/api/') && !(opts.metricsAuth && path === '/metrics')) return;
    const ip = server?.requestIP(request)?.address ?? 'unknown';
    const ipDecision = byIp.take(ip);
    if (!ipDecision.ok) throw limited(ipDecision.retryAfterS, 'address');
    if (!opts.required) return;
    const token = tokenOf(request.headers);
    if (!token) throw new AppError('unauthorized', 'an API key is required (X-API-Key header or Authorization: Bearer)', { headers: { 'www-authenticate': 'Bearer' } });
    const key = opts.verify(token);
    if (!key) throw new AppError('unauthorized', 'the API key is not valid', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    const keyDecision = byKey.take(key.id);
    if (!keyDecision.ok) throw limited(keyDecision.retryAfterS, 'API key');
  });
};

/** Refuse a body larger than the route allows before it is read (Content-Length), with 413. */
export const bodyLimit = (limits: Array<{ method: string; path: RegExp; maxBytes: number }>, fallbackMax: number) =>
  new Elysia({ name: 'body-limit' }).onRequest(({ request }) => {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    const path = new URL(request.url).pathname;
    const rule = limits.find((l) => l.method === request.method && l.path.test(path));
    const max = rule?.maxBytes ?? fallbackMax;
    const len = Number(request.headers.get('content-length') ?? 0);
    if (len > max) {
      throw new AppError('payload_too_large', `the request body is ${len} bytes, over the limit of ${max}`, { details: { max_bytes: max } });
    }
  });
