/**
 * @module Roles and scopes. A role is a set of scopes; an API key carries scopes of its own, and
 * what it may do is what both its scopes and its user's role allow. Every route names the one
 * scope it needs (api/access.ts). Pure.
 */

export const SCOPES = [
  'images:read',
  'images:write',
  'streams:read',
  'streams:write',
  'runs:read',
  'runs:write',
  'analytics:read',
  'analytics:write',
  'events:read',
  'publish:read',
  'sync:read',
  'fleet:read',
  'fleet:write',
  'metrics:read',
  'users:admin',
  'keys:admin',
  'backup:admin',
] as const;
export type Scope = (typeof SCOPES)[number];

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const READ: Scope[] = SCOPES.filter((s) => s.endsWith(':read'));

/** viewer reads; operator also changes what the box does (images, streams, runs, sessions, a fleet sync); admin also manages users, keys and backups. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  viewer: READ,
  operator: [...READ, 'images:write', 'streams:write', 'runs:write', 'analytics:write', 'fleet:write'],
  admin: SCOPES,
};

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);
export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);

/** The scopes a credential has: its role's, narrowed to its own list when it has one. */
export function effectiveScopes(role: Role, own: readonly string[] | null): Scope[] {
  const base = ROLE_SCOPES[role];
  return own === null ? [...base] : base.filter((s) => own.includes(s));
}

/** Scopes in a space-separated list that are not known (for a clear error). */
export const unknownScopes = (list: readonly string[]) => list.filter((s) => !isScope(s));
