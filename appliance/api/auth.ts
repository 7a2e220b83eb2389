/**
 * @module Guards every door of the HTTP server with the access table (access.ts): the API, the
 * WebSocket upgrades and /metrics, decided on the canonical path (path.ts), so a trailing slash,
 * a doubled slash, letter case or percent-encoding reaches the same rule. Rate limits per client
 * address and per credential first (auth/limits, shared with gRPC), then the credential
 * (X-API-Key, or Authorization: Bearer with an API key, a login token or an outside JWT; on a
 * WebSocket upgrade also a `bearer.<token>` subprotocol or `?token=`) and the scope the route
 * needs. It runs on request, before the body is read, so an anonymous or throttled client cannot
 * make the box parse a 10 MB upload. Refusals are thrown, so they go through the one error mapping
 * (and are counted in the HTTP metrics).
 */
import { Elysia } from 'elysia';
import { AppError } from '../shared/errors';
import type { DoorLimits, LimitRefusal } from '../auth/limits';
import { ownerOfIdentity, viewerOfIdentity, type Identity } from '../auth/identity';
import { ruleOf, type Need } from './access';
import { budgetOf } from './budget';
import { pathOf, under } from './path';

export interface AuthOptions {
  /** Off: no credential is asked for (a development box; every route is open). */
  required: boolean;
  /** /metrics needs a credential too. */
  metricsAuth?: boolean;
  /** Views marked publicRead in the table are open to anonymous callers. */
  publicRead?: boolean;
  /** Views marked publicAnalytics (the aggregates) are open to anonymous callers. */
  publicAnalytics?: boolean;
  /** The rate limits every door shares. */
  limits: DoorLimits;
  identify: (token: string) => Promise<Identity>;
  /** True while the box has no user (the first signup is open). */
  noUsers: () => boolean;
}

export function tokenOf(headers: Headers): string | null {
  const key = headers.get('x-api-key');
  if (key) return key.trim();
  const auth = headers.get('authorization');
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m ? m[1]!.trim() : null;
}

export const BEARER_PROTOCOL = 'bearer.';

/** The subprotocols a WebSocket upgrade offers. */
export const protocolsOf = (req: Request): string[] =>
  (req.headers.get('sec-websocket-protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

const isUpgrade = (req: Request) => req.headers.get('upgrade')?.toLowerCase() === 'websocket';

/**
 * The credential of a request: the headers; on a WebSocket upgrade (browsers can set no headers
 * there) also a `bearer.<token>` subprotocol, then `?token=`.
 */
export function requestToken(req: Request): string | null {
  const fromHeader = tokenOf(req.headers);
  if (fromHeader || !isUpgrade(req)) return fromHeader;
  const proto = protocolsOf(req).find((p) => p.startsWith(BEARER_PROTOCOL));
  if (proto) return proto.slice(BEARER_PROTOCOL.length);
  return new URL(req.url).searchParams.get('token');
}

const limited = (r: LimitRefusal) =>
  new AppError('rate_limited', `too many requests from this ${r.who}; retry in ${r.retryAfterS} s`, {
    headers: { 'retry-after': String(r.retryAfterS) },
    details: { retry_after_s: r.retryAfterS },
  });

const required = (path: string) =>
  new AppError(
    'unauthorized',
    under(path, '/ws/')
      ? 'a token is required: Authorization: Bearer, subprotocol bearer.<token>, or ?token='
      : 'a credential is required (X-API-Key header, or Authorization: Bearer with an API key or a token from /api/auth/login)',
    { headers: { 'www-authenticate': 'Bearer' } },
  );

/** Whether `id` may do what `need` asks; the scope it lacks otherwise. */
export function allows(need: Need, id: Identity): string | null {
  if (need === 'public' || need === 'user') return null;
  const scope = need === 'signup' ? 'users:admin' : need.scope;
  return id.scopes.includes(scope as never) ? null : scope;
}

const identities = new WeakMap<Request, Identity>();
const tokens = new WeakMap<Request, string>();
const addresses = new WeakMap<Request, string>();

/** The client address of a request that reached a door. */
export const addressOf = (req: Request): string | undefined => addresses.get(req);

/** The caller of a request the guard let through (undefined when it needed no credential). */
export const identityOf = (req: Request): Identity | undefined => identities.get(req);

/** Who asks, for the photo library (see auth/identity viewerOfIdentity). */
export const viewerOf = (req: Request, authRequired: boolean) => viewerOfIdentity(identityOf(req), authRequired);

/** Whose an upload is (see auth/identity ownerOfIdentity). */
export const ownerOf = (req: Request): string => ownerOfIdentity(identityOf(req));

/** Paths the rate limits and credentials are for; the dashboard's pages and assets are static. */
const isDoor = (path: string) => under(path, '/api/') || under(path, '/ws/') || path.toLowerCase() === '/metrics';

export const authGuard = (opts: AuthOptions) =>
  new Elysia({ name: 'auth' }).onRequest(async ({ request, server }) => {
    const path = pathOf(request);
    if (!isDoor(path)) return;
    const ip = server?.requestIP(request)?.address ?? 'unknown';
    addresses.set(request, ip);
    const token = requestToken(request);
    // Who calls decides the budget; a credential that does not check out is refused below, where
    // one is needed (a public route ignores it), and counts against the clients' budget meanwhile.
    const known = opts.required && token ? await opts.identify(token).catch((e: unknown) => e as Error) : null;
    const id = known instanceof Error ? null : known;
    const budget = budgetOf(request.method, path, id?.kind ?? null);
    const byIp = opts.limits.address(budget, ip, id);
    if (byIp) throw limited(byIp);
    const metrics = path.toLowerCase() === '/metrics';
    if (!opts.required || (metrics && !opts.metricsAuth)) return;
    // A door path the table does not know needs a signed-in caller, then answers 404 (no probing).
    const need: Need = ruleOf(request.method, path)?.need ?? 'user';
    if (need === 'public') return;
    if (
      !token &&
      ((need === 'signup' && opts.noUsers()) ||
        (typeof need === 'object' &&
          ((need.publicRead && opts.publicRead) || (need.publicAnalytics && opts.publicAnalytics))))
    )
      return;
    if (!token) throw required(path);
    if (!id) throw known;
    const bySubject = opts.limits.subject(budget, id);
    if (bySubject) throw limited(bySubject);
    const missing = allows(need, id);
    if (missing)
      throw new AppError(
        'forbidden',
        `this needs the scope ${missing}, which ${id.kind === 'key' ? 'this API key' : id.subject} does not have`,
        { details: { needs: missing, has: id.scopes } },
      );
    identities.set(request, id);
    tokens.set(request, token);
  });

/** The credential the guard checked for a request (a WebSocket keeps it to check it again). */
export const checkedTokenOf = (req: Request): string | undefined => tokens.get(req);

/** A request replaced by a buffered copy (body-limit.ts) keeps its checked caller. */
export function carryCaller(from: Request, to: Request): void {
  const id = identities.get(from);
  const token = tokens.get(from);
  if (id) identities.set(to, id);
  if (token !== undefined) tokens.set(to, token);
  const ip = addresses.get(from);
  if (ip !== undefined) addresses.set(to, ip);
}
