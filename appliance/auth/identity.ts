/**
 * @module Who a credential is: an API key (`fov_…`), an access token this box issued at login, or
 * a JWT of an outside issuer (api.jwt). The answer carries the scopes the caller has now: a key's
 * user and a token's user are looked up on every request, so a removed user, a changed role or a
 * password reset takes effect at once, not when a token expires.
 */
import { AppError } from '../shared/errors';
import type { KeyFile } from './keys';
import type { Users } from './users';
import { looksLikeJwt, type AccessTokens, type JwtVerifier } from './jwt';
import { effectiveScopes, isRole, isScope, roleScopes, type Role, type Scope } from './roles';

export interface Identity {
  kind: 'key' | 'login' | 'jwt';
  /** A user name, a key name, or an outside token's subject. */
  subject: string;
  userId: string | null;
  role: Role | null;
  scopes: Scope[];
}

const invalid = (why: string) =>
  new AppError('unauthorized', why, { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });

export class Authenticator {
  constructor(
    private readonly d: { keys: KeyFile; users: Users; access: AccessTokens; external: JwtVerifier | null },
  ) {}

  async identify(token: string): Promise<Identity> {
    if (token.startsWith('fov_')) return this.key(token);
    if (!looksLikeJwt(token)) throw invalid('the API key is not valid');
    const claims = await this.d.access.verify(token);
    if (claims) {
      const u = this.d.users.byId(claims.sub);
      if (!u) throw invalid('the token is not valid: its user no longer exists');
      if (claims.iat < Math.floor(Date.parse(u.tokens_valid_after) / 1000))
        throw invalid('the token is not valid: revoked (password reset or role change)');
      return { kind: 'login', subject: u.name, userId: u.id, role: u.role, scopes: roleScopes(u.role) };
    }
    if (!this.d.external)
      throw invalid('the token is not valid: not issued by this box, and no other issuer is configured (api.jwt)');
    const t = await this.d.external.verify(token);
    // An outside token has the scopes it names (known ones only); one that names none is a viewer.
    const scopes = t.scopes.length ? t.scopes.filter(isScope) : roleScopes('viewer');
    return { kind: 'jwt', subject: t.subject, userId: null, role: null, scopes };
  }

  private key(token: string): Identity {
    const k = this.d.keys.verify(token);
    if (!k) throw invalid('the API key is not valid');
    if (!k.user_id)
      return { kind: 'key', subject: k.name, userId: null, role: 'admin', scopes: effectiveScopes('admin', k.scopes) };
    const u = this.d.users.byId(k.user_id);
    if (!u || !isRole(u.role)) throw invalid('the API key is not valid: its user no longer exists');
    return { kind: 'key', subject: k.name, userId: u.id, role: u.role, scopes: effectiveScopes(u.role, k.scopes) };
  }
}

/**
 * Who asks, for the photo library: a user's id (an outside token's subject as `jwt:<sub>`), and
 * whether they see everything (an admin, a key with no user, or anyone on a box without auth).
 */
export function viewerOfIdentity(
  id: Identity | null | undefined,
  authRequired: boolean,
): { user: string | null; admin: boolean } {
  if (!id) return { user: null, admin: !authRequired };
  return { user: ownerOfIdentity(id), admin: id.role === 'admin' };
}

/** Whose an upload is: the caller's user, else the box's (a key with no user, a box without auth). */
export function ownerOfIdentity(id: Identity | null | undefined): string {
  return id?.userId ?? (id?.kind === 'jwt' ? `jwt:${id.subject}` : 'box');
}
