/**
 * @module Guards the API with the access table (access.ts): rate limits per client IP and per
 * credential, then the credential (X-API-Key, or Authorization: Bearer with an API key, a login
 * token or an outside JWT) and the scope the route needs. It runs on request, before the body is
 * read, so an anonymous or throttled client cannot make the box parse a 10 MB upload. Refusals are
 * thrown, so they go through the one error mapping (and are counted in the HTTP metrics). The
 * WebSocket route checks its own credential at the upgrade (ws.ts), with the same rules.
 */
import { Elysia } from 'elysia';
import { AppError } from '../shared/errors';
import { RateLimiter } from '../auth/ratelimit';
import { ownerOfIdentity, viewerOfIdentity, type Identity } from '../auth/identity';
import { ruleOf, type Need } from './access';
import { budgetOf, type Budget } from './budget';

export interface AuthOptions {
  /** Off: no credential is asked for (a development box; every route is open). */
  required: boolean;
  /** /metrics needs a credential too. */
  metricsAuth?: boolean;
  /** Views marked publicRead in the table are open to anonymous callers. */
  publicRead?: boolean;
  /** Views marked publicAnalytics (the aggregates) are open to anonymous callers. */
  publicAnalytics?: boolean;
  perMinute: number;
  /** The people's budget (see budget.ts). */
  peoplePerMinute: number;
  identify: (token: string) => Promise<Identity>;
  /** True while the box has no user (the first signup is open). */
  noUsers: () => boolean;
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
  new AppError('rate_limited', `too many requests from this ${who}; retry in ${retryAfterS} s`, {
    headers: { 'retry-after': String(retryAfterS) },
    details: { retry_after_s: retryAfterS },
  });

const required = () =>
  new AppError(
    'unauthorized',
    'a credential is required (X-API-Key header, or Authorization: Bearer with an API key or a token from /api/auth/login)',
    { headers: { 'www-authenticate': 'Bearer' } },
  );

/** Whether `id` may do what `need` asks; the scope it lacks otherwise. */
export function allows(need: Need, id: Identity): string | null {
  if (need === 'public' || need === 'user') return null;
  const scope = need === 'signup' ? 'users:admin' : need.scope;
  return id.scopes.includes(scope as never) ? null : scope;
}

const identities = new WeakMap<Request, Identity>();

/** The caller of a request the guard let through (undefined when it needed no credential). */
export const identityOf = (req: Request): Identity | undefined => identities.get(req);

/** Who asks, for the photo library (see auth/identity viewerOfIdentity). */
export const viewerOf = (req: Request, authRequired: boolean) => viewerOfIdentity(identityOf(req), authRequired);

/** Whose an upload is (see auth/identity ownerOfIdentity). */
export const ownerOf = (req: Request): string => ownerOfIdentity(identityOf(req));

export const authGuard = (opts: AuthOptions) => {
  const limits: Record<Budget, { byIp: RateLimiter; bySubject: RateLimiter }> = {
    clients: { byIp: new RateLimiter(opts.perMinute, opts.now), bySubject: new RateLimiter(opts.perMinute, opts.now) },
    people: {
      byIp: new RateLimiter(opts.peoplePerMinute, opts.now),
      bySubject: new RateLimiter(opts.peoplePerMinute, opts.now),
    },
  };
  return new Elysia({ name: 'auth' }).onRequest(async ({ request, server }) => {
    const path = new URL(request.url).pathname;
    const metrics = path === '/metrics';
    if (!path.startsWith('/api/') && !metrics) return;
    const token = tokenOf(request.headers);
    // Who calls decides the budget; a credential that does not check out is refused below, where
    // one is needed (a public route ignores it), and counts against the clients' budget meanwhile.
    const known = opts.required && token ? await opts.identify(token).catch((e: unknown) => e as Error) : null;
    const id = known instanceof Error ? null : known;
    const { byIp, bySubject } = limits[budgetOf(request.method, path, id?.kind ?? null)];
    // A key an admin granted images:import (a bulk import) is not held to the per-minute limits.
    const unlimited = id?.scopes.includes('images:import') ?? false;
    const take = (l: RateLimiter, who: string) => (unlimited ? { ok: true, retryAfterS: 0 } : l.take(who));
    const ip = server?.requestIP(request)?.address ?? 'unknown';
    const ipDecision = take(byIp, ip);
    if (!ipDecision.ok) throw limited(ipDecision.retryAfterS, 'address');
    if (!opts.required || (metrics && !opts.metricsAuth)) return;
    // A path the table does not know needs a signed-in caller, then answers 404 (no route probing).
    const need: Need = ruleOf(request.method, path)?.need ?? 'user';
    if (need === 'public') return;
    if (
      !token &&
      ((need === 'signup' && opts.noUsers()) ||
        (typeof need === 'object' &&
          ((need.publicRead && opts.publicRead) || (need.publicAnalytics && opts.publicAnalytics))))
    )
      return;
    if (!token) throw required();
    if (!id) throw known;
    const subject = take(bySubject, `${id.kind}:${id.subject}`);
    if (!subject.ok) throw limited(subject.retryAfterS, id.kind === 'key' ? 'API key' : 'user');
    const missing = allows(need, id);
    if (missing)
      throw new AppError(
        'forbidden',
        `this needs the scope ${missing}, which ${id.kind === 'key' ? 'this API key' : id.subject} does not have`,
        { details: { needs: missing, has: id.scopes } },
      );
    identities.set(request, id);
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
      throw new AppError('payload_too_large', `the request body is ${len} bytes, over the limit of ${max}`, {
        details: { max_bytes: max },
      });
    }
  });
