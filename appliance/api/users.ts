/**
 * @module /api/users and /api/keys (admins: users:admin, keys:admin): list, change a role, remove,
 * issue a reset token; list, create (shown once) and revoke API keys, each owned by a user and
 * optionally narrowed to scopes. The last admin cannot be removed or demoted.
 */
import { Elysia, t } from 'elysia';
import { AppError } from '../shared/errors';
import { ROLES, SCOPES, unknownScopes, type Role } from '../auth/roles';
import type { UserRecord, Users } from '../auth/users';
import type { Sessions } from '../auth/sessions';
import type { KeyFile } from '../auth/keys';
import { identityOf } from './auth';
import { userView } from './auth-routes';

/** What the user list shows of each library: bytes stored and the quota (null: none). */
export interface LibraryUsage {
  usage(owners: string[]): Promise<Map<string, number>>;
  quota(u: UserRecord): number | null;
}

export const usersApi = (d: { users: Users; sessions: Sessions; keys: KeyFile; library: LibraryUsage }) => {
  const withUsage = async (list: UserRecord[]) => {
    const used = await d.library.usage(list.map((u) => u.id));
    return list.map((u) => ({ ...userView(u), used_bytes: used.get(u.id) ?? 0, quota_bytes: d.library.quota(u) }));
  };
  const user = (name: string) => {
    const u = d.users.byName(name);
    if (!u) throw new AppError('not_found', `no user named '${name}'`);
    return u;
  };
  const lastAdmin = (name: string) =>
    d.users
      .list()
      .filter((u) => u.role === 'admin')
      .map((u) => u.name)
      .join() === name;
  return new Elysia({ name: 'api-users', detail: { tags: ['users'] } })
    .get('/api/users', async () => ({ items: await withUsage(d.users.list()) }), {
      detail: { summary: 'All users (no hashes), with what their photo library stores and its quota' },
    })
    .patch(
      '/api/users/:name',
      async ({ params, body }) => {
        const u = user(params.name);
        if (body.role === undefined && body.quota_bytes === undefined)
          throw new AppError('validation_failed', 'give role or quota_bytes');
        if (body.role !== undefined && body.role !== u.role) {
          if (u.role === 'admin' && lastAdmin(u.name))
            throw new AppError('bad_request', 'the last admin cannot be demoted');
          await d.users.setRole(u.name, body.role as Role);
          await d.sessions.revokeUser(u.id);
        }
        // A quota below what is stored is allowed: uploads are refused until the library is under it.
        if (body.quota_bytes !== undefined) await d.users.setQuota(u.name, body.quota_bytes);
        return (await withUsage([d.users.byName(u.name)!]))[0]!;
      },
      {
        body: t.Object({
          role: t.Optional(t.Union(ROLES.map((r) => t.Literal(r)))),
          quota_bytes: t.Optional(
            t.Nullable(t.Integer({ minimum: 0, description: 'Storage for originals in bytes; null: no quota.' })),
          ),
        }),
        detail: { summary: "Change a user's role (ends their sessions) or their photo library's quota" },
      },
    )
    .delete(
      '/api/users/:name',
      async ({ params, set }) => {
        const u = user(params.name);
        if (u.role === 'admin' && lastAdmin(u.name))
          throw new AppError('bad_request', 'the last admin cannot be removed');
        await d.users.remove(u.name);
        await d.sessions.revokeUser(u.id);
        set.status = 204;
      },
      { detail: { summary: 'Remove a user (their keys stop working, their sessions end)' } },
    )
    .post(
      '/api/users/:name/reset',
      async ({ params }) => {
        const token = await d.users.issueReset(user(params.name).name);
        return { token, expires_in: 3600, use: 'POST /api/auth/reset with token and password' };
      },
      { detail: { summary: "A one-time token that sets the user's password (valid 1 h)" } },
    )
    .get(
      '/api/keys',
      () => ({
        items: d.keys.list().map((k) => ({
          id: k.id,
          name: k.name,
          user: k.user_id ? (d.users.byId(k.user_id)?.name ?? null) : null,
          scopes: k.scopes ?? null,
          created_at: k.created_at,
          revoked_at: k.revoked_at,
        })),
      }),
      { detail: { summary: 'All API keys (never the key itself)' } },
    )
    .post(
      '/api/keys',
      async ({ body, request, set }) => {
        const owner = body.user
          ? user(body.user)
          : identityOf(request)?.userId
            ? d.users.byId(identityOf(request)!.userId!)
            : null;
        const bad = unknownScopes(body.scopes ?? []);
        if (bad.length)
          throw new AppError('validation_failed', `unknown scopes: ${bad.join(', ')} (known: ${SCOPES.join(' ')})`);
        const key = await d.keys.create(body.name, { user_id: owner?.id ?? null, scopes: body.scopes ?? null });
        set.status = 201;
        return {
          key,
          name: body.name,
          user: owner?.name ?? null,
          scopes: body.scopes ?? null,
          note: 'shown once: store it now',
        };
      },
      {
        body: t.Object({
          name: t.String({ pattern: '^[\\w.@-]{1,64}$' }),
          user: t.Optional(
            t.String({ maxLength: 64, description: "Owner (default: the caller's user); its role bounds the key." }),
          ),
          scopes: t.Optional(
            t.Array(t.String({ maxLength: 32 }), { maxItems: 32, description: 'Narrow the key to these scopes.' }),
          ),
        }),
        detail: { summary: 'Create an API key for a user; the key is in the answer, once' },
      },
    )
    .delete(
      '/api/keys/:id',
      async ({ params, set }) => {
        if (!(await d.keys.revoke(params.id))) throw new AppError('not_found', `no active API key '${params.id}'`);
        set.status = 204;
      },
      { detail: { summary: 'Revoke an API key' } },
    );
};
