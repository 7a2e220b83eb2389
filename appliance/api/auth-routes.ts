/**
 * @module /api/auth: OAuth2-style password login (RFC 6749 §4.3: a form with grant_type=password,
 * username, password; JSON is taken too) giving a short access token and a rotating refresh token;
 * refresh (grant_type=refresh_token), logout, signup (the first user of an empty box becomes its
 * admin; after that only an admin signs others up), the one-time-token password reset, and me.
 * Wrong passwords lock a user name for a while, longer each time; login attempts are also limited
 * per client IP.
 */
import { Elysia, t } from 'elysia';
import { AppError } from '../shared/errors';
import { RateLimiter } from '../auth/ratelimit';
import { Lockout } from '../auth/lockout';
import { isRole, type Role } from '../auth/roles';
import type { Users, UserRecord } from '../auth/users';
import type { Sessions } from '../auth/sessions';
import type { AccessTokens } from '../auth/jwt';
import type { Logger } from '../shared/log';
import type { LibraryUsage } from './users';
import { addressOf, identityOf } from './auth';
import { requestIdOf } from './metrics';

export interface AuthRouteDeps {
  users: Users;
  /** api.auth: whether a credential is asked for at all. */
  required: boolean;
  /** analytics.public: the aggregate views need no credential. */
  publicAnalytics?: boolean;
  /** The photo library's usage and quotas (for /me). */
  library?: LibraryUsage;
  sessions: Sessions;
  access: AccessTokens;
  login: { free_attempts: number; lockout_s: number; lockout_max_s: number; per_ip_per_minute: number };
  log: Logger;
  now?: () => number;
}

/** A form or JSON body as plain strings (an OAuth2 client sends a form; a script, JSON). */
function fieldsOf(body: unknown): Record<string, string> {
  if (!body || typeof body !== 'object') return {};
  return Object.fromEntries(
    Object.entries(body as Record<string, unknown>).filter(([, v]) => typeof v === 'string'),
  ) as Record<string, string>;
}

const need = (f: Record<string, string>, k: string) => {
  const v = f[k];
  if (!v) throw new AppError('validation_failed', `${k} is required`);
  return v;
};

export const userView = (u: UserRecord) => ({
  id: u.id,
  name: u.name,
  role: u.role,
  created_at: u.created_at,
  has_password: u.password_hash !== null,
});

export const authRoutes = (d: AuthRouteDeps) => {
  const lock = new Lockout({
    free: d.login.free_attempts,
    baseS: d.login.lockout_s,
    maxS: d.login.lockout_max_s,
    now: d.now,
  });
  const perIp = new RateLimiter(d.login.per_ip_per_minute, d.now);
  const tokens = async (u: UserRecord, refresh?: string) => ({
    access_token: await d.access.sign(u),
    token_type: 'bearer',
    expires_in: d.access.ttlS,
    refresh_token: refresh ?? (await d.sessions.issue(u.id)),
    user: userView(u),
  });
  const body = t.Unknown({ description: 'application/x-www-form-urlencoded (OAuth2) or JSON' });
  return new Elysia({ name: 'api-auth', prefix: '/api/auth', detail: { tags: ['auth'] } })
    .post(
      '/login',
      async ({ body: b, request, server }) => {
        const f = fieldsOf(b);
        if ((f.grant_type ?? 'password') !== 'password')
          throw new AppError('bad_request', 'grant_type must be password (refresh tokens go to /api/auth/refresh)');
        const name = need(f, 'username');
        const password = need(f, 'password');
        const ip = addressOf(request) ?? server?.requestIP(request)?.address ?? 'unknown';
        const byIp = perIp.take(ip);
        if (!byIp.ok)
          throw new AppError(
            'rate_limited',
            `too many login attempts from this address; retry in ${byIp.retryAfterS} s`,
            { headers: { 'retry-after': String(byIp.retryAfterS) } },
          );
        const locked = lock.lockedFor(name);
        if (locked)
          throw new AppError('rate_limited', `too many wrong passwords for this user; retry in ${locked} s`, {
            headers: { 'retry-after': String(locked) },
            details: { retry_after_s: locked },
          });
        const u = await d.users.authenticate(name, password);
        if (!u) {
          const next = lock.failed(name);
          d.log.warn('login failed', { user: name, ip, locked_s: next, request_id: requestIdOf(request) });
          throw new AppError('unauthorized', 'wrong user name or password');
        }
        lock.succeeded(name);
        d.log.info('login', { user: name, ip });
        return tokens(u);
      },
      {
        body,
        detail: { summary: 'Sign in: username and password for an access token (expires_in s) and a refresh token' },
      },
    )
    .post(
      '/refresh',
      async ({ body: b, request, server }) => {
        const f = fieldsOf(b);
        // A spent token presented after the grace: someone holds a copy. Said with where from.
        const r = await d.sessions.rotate(need(f, 'refresh_token'), (reuse) =>
          d.log.warn('refresh token used again after its grace: its session is revoked', {
            session: reuse.session,
            user: d.users.byId(reuse.user)?.name ?? reuse.user,
            address: addressOf(request) ?? server?.requestIP(request)?.address ?? 'unknown',
          }),
        );
        const u = d.users.byId(r.userId);
        // A reset or a role change since the session began ends it.
        if (!u || Date.parse(r.issuedAt) < Date.parse(u.tokens_valid_after))
          throw new AppError('unauthorized', 'the session has ended (the user changed or is gone): sign in again');
        return tokens(u, r.token);
      },
      {
        body,
        detail: { summary: 'A refresh token for a new access token and the next refresh token (the old one is spent)' },
      },
    )
    .post(
      '/logout',
      async ({ body: b, set }) => {
        await d.sessions.revoke(need(fieldsOf(b), 'refresh_token'));
        set.status = 204;
      },
      { body, detail: { summary: 'End the session of a refresh token' } },
    )
    .post(
      '/signup',
      async ({ body: b, request, set }) => {
        const f = fieldsOf(b);
        const first = d.users.list().length === 0;
        // The guard let an anonymous caller through only while the box has no user.
        if (!first && !identityOf(request)?.scopes.includes('users:admin'))
          throw new AppError('forbidden', 'only an admin signs up users once the box has one');
        const role: Role = first ? 'admin' : isRole(f.role ?? '') ? (f.role as Role) : 'viewer';
        const u = await d.users.create(need(f, 'username'), role, need(f, 'password'), { firstOnly: first });
        d.log.info('user created', { user: u.name, role, by: identityOf(request)?.subject ?? 'first signup' });
        set.status = 201;
        return userView(u);
      },
      {
        body,
        detail: {
          summary:
            'Create a user: the first one of an empty box (it becomes admin), else by an admin (role viewer, operator or admin)',
        },
      },
    )
    .post(
      '/reset',
      async ({ body: b }) => {
        const f = fieldsOf(b);
        const u = await d.users.consumeReset(need(f, 'token'), need(f, 'password'));
        await d.sessions.revokeUser(u.id);
        d.log.info('password reset', { user: u.name });
        return userView(u);
      },
      {
        body,
        detail: {
          summary:
            'Set a password with a one-time token (fovea user reset-password NAME prints one); ends every session of the user',
        },
      },
    )
    .get(
      '/status',
      () => ({
        auth_required: d.required,
        first_user: d.users.list().length === 0,
        public_analytics: d.publicAnalytics ?? false,
      }),
      {
        detail: {
          summary:
            'Whether this box asks for a credential, whether it has no user yet (the first signup is open), and whether its analytics are public',
        },
      },
    )
    .get(
      '/me',
      async ({ request }) => {
        const id = identityOf(request);
        if (!id) return { subject: null, kind: null, role: null, scopes: [], library: null };
        const u = id.userId ? d.users.byId(id.userId) : null;
        const library =
          u && d.library
            ? { used_bytes: (await d.library.usage([u.id])).get(u.id) ?? 0, quota_bytes: d.library.quota(u) }
            : null;
        return { subject: id.subject, kind: id.kind, role: id.role, scopes: id.scopes, user_id: id.userId, library };
      },
      {
        detail: {
          summary:
            'Who the credential of this request is, its scopes, and what its photo library stores against its quota',
        },
      },
    );
};
