/**
 * @module Roles and scopes. A role is a set of scopes; an API key carries scopes of its own, and
 * what it may do is what both its scopes and its user's role allow. Every route names the one
 * scope it needs (api/access.ts). Pure.
 */

export const SCOPES = [
  'images:read',
  'images:write',
  'images:import',
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

/**
 * Scopes no credential has by its role alone: an admin names them on an API key (within what the
 * key's role allows). images:import lifts the per-minute request limits for a bulk import.
 */
export const GRANTED_ONLY: readonly Scope[] = ['images:import'];

/** viewer reads; operator also changes what the box does (images, streams, runs, sessions, a fleet sync); admin also manages users, keys and backups. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  viewer: READ,
  operator: [...READ, 'images:write', 'images:import', 'streams:write', 'runs:write', 'analytics:write', 'fleet:write'],
  admin: SCOPES,
};

/** What a role has by itself (a login, a key with no scopes of its own): its scopes but the granted-only ones. */
export const roleScopes = (role: Role): Scope[] => ROLE_SCOPES[role].filter((s) => !GRANTED_ONLY.includes(s));

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);
export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);

/** The scopes a credential has: its role's, narrowed to its own list when it has one. */
export function effectiveScopes(role: Role, own: readonly string[] | null): Scope[] {
  return own === null ? roleScopes(role) : ROLE_SCOPES[role].filter((s) => own.includes(s));
}

/** Scopes in a space-separated list that are not known (for a clear error). */
export const unknownScopes = (list: readonly string[]) => list.filter((s) => !isScope(s));
