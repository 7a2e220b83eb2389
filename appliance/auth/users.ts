/**
 * @module Users of the box: a name, a role and an argon2id password hash (Bun.password), kept in
 * `<state>/users.json` (0600) so that `fovea user …` works while the appliance runs. There is no
 * mail on a box: a password is set or reset with a one-time token that `fovea user reset-password`
 * prints (only its SHA-256 is kept, it expires, and using it revokes the user's sessions).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../shared/errors';
import { JsonFile } from './json-file';
import type { Role } from './roles';
import { realTimers, type Timers } from '../shared/timers';

export interface UserRecord {
  id: string;
  name: string;
  role: Role;
  password_hash: string | null;
  created_at: string;
  /** Access and refresh tokens issued before this are refused (a reset, a role change, a removal). */
  tokens_valid_after: string;
  reset: { sha256: string; expires_at: string } | null;
  /** Their photo library's storage quota in bytes, set by an admin (absent: the box's default; null: none). */
  quota_bytes?: number | null;
}

export const USER_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
export const PASSWORD_MIN = 10;
const PASSWORD_MAX = 1024;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

export function checkPassword(pw: string): void {
  if (typeof pw !== 'string' || pw.length < PASSWORD_MIN)
    throw new AppError('validation_failed', `a password has at least ${PASSWORD_MIN} characters`);
  if (pw.length > PASSWORD_MAX)
    throw new AppError('validation_failed', `a password has at most ${PASSWORD_MAX} characters`);
}

// Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
let dummy: Promise<string> | null = null;

export class Users {
  private readonly file: JsonFile<{ users: UserRecord[] }>;

  /** The clock stamps creation, reset expiry and token revocation (fake in tests). */
  constructor(
    path: string,
    private readonly clock: Pick<Timers, 'now'> = realTimers,
  ) {
    this.file = new JsonFile(path, () => ({ users: [] }));
  }

  list(): UserRecord[] {
    return this.file.read().users;
  }

  byName(name: string): UserRecord | null {
    return this.list().find((u) => u.name === name) ?? null;
  }

  byId(id: string): UserRecord | null {
    return this.list().find((u) => u.id === id) ?? null;
  }

  /**
   * A new user; with no password, it is set through a reset token. With `firstOnly`, only while
   * there is no user at all (decided inside the same update: two first signups cannot both win).
   */
  async create(
    name: string,
    role: Role,
    password: string | null,
    opts: { firstOnly?: boolean } = {},
  ): Promise<UserRecord> {
    if (!USER_NAME.test(name))
      throw new AppError(
        'validation_failed',
        'a user name is 1-64 of a-z 0-9 . _ @ - (starting with a letter or digit)',
      );
    if (password !== null) checkPassword(password);
    const hash = password === null ? null : await Bun.password.hash(password, 'argon2id');
    const now = new Date(this.clock.now()).toISOString();
    const user: UserRecord = {
      id: randomBytes(8).toString('hex'),
      name,
      role,
      password_hash: hash,
      created_at: now,
      tokens_valid_after: now,
      reset: null,
    };
    await this.file.update((d) => {
      if (opts.firstOnly && d.users.length > 0)
        throw new AppError('forbidden', 'only an admin signs up users once the box has one');
      if (d.users.some((u) => u.name === name)) throw new AppError('bad_request', `a user named '${name}' exists`);
      return { users: [...d.users, user] };
    });
    return user;
  }

  /** The user whose name and password these are, or null; as slow for an unknown name as for a wrong password. */
  async authenticate(name: string, password: string): Promise<UserRecord | null> {
    const u = this.byName(name);
    if (!u?.password_hash || typeof password !== 'string' || password.length > PASSWORD_MAX) {
      dummy ??= Bun.password.hash('not a password of anyone', 'argon2id');
      await Bun.password.verify(String(password).slice(0, PASSWORD_MAX), await dummy);
      return null;
    }
    return (await Bun.password.verify(password, u.password_hash)) ? u : null;
  }

  /** A one-time token that sets a new password within `ttlS` (printed by `fovea user reset-password`). */
  async issueReset(name: string, ttlS = 3600): Promise<string> {
    const token = `fovr_${randomBytes(32).toString('base64url')}`;
    const reset = {
      sha256: sha256(token).toString('hex'),
      expires_at: new Date(this.clock.now() + ttlS * 1000).toISOString(),
    };
    await this.file.update((d) => {
      const u = d.users.find((x) => x.name === name);
      if (!u) throw new AppError('not_found', `no user named '${name}'`);
      u.reset = reset;
      return d;
    });
    return token;
  }

  /** Use a reset token: the password is set, the token spent, every session of the user revoked. */
  async consumeReset(token: string, password: string): Promise<UserRecord> {
    checkPassword(password);
    const given = sha256(String(token));
    const now = this.clock.now();
    const match = (u: UserRecord) =>
      !!u.reset && Date.parse(u.reset.expires_at) > now && timingSafeEqual(Buffer.from(u.reset.sha256, 'hex'), given);
    if (!this.list().some(match))
      throw new AppError('unauthorized', 'the reset token is not valid (unknown, used or expired)');
    const hash = await Bun.password.hash(password, 'argon2id');
    let out: UserRecord | null = null;
    await this.file.update((d) => {
      const u = d.users.find(match);
      if (!u) throw new AppError('unauthorized', 'the reset token is not valid (unknown, used or expired)');
      Object.assign(u, {
        password_hash: hash,
        reset: null,
        tokens_valid_after: new Date(this.clock.now()).toISOString(),
      });
      out = u;
      return d;
    });
    return out!;
  }

  async setRole(name: string, role: Role): Promise<void> {
    await this.file.update((d) => {
      const u = d.users.find((x) => x.name === name);
      if (!u) throw new AppError('not_found', `no user named '${name}'`);
      Object.assign(u, { role, tokens_valid_after: new Date(this.clock.now()).toISOString() });
      return d;
    });
  }

  /** Set a user's storage quota (null: none; undefined: back to the box's default). */
  async setQuota(name: string, bytes: number | null | undefined): Promise<void> {
    await this.file.update((d) => {
      const u = d.users.find((x) => x.name === name);
      if (!u) throw new AppError('not_found', `no user named '${name}'`);
      if (bytes === undefined) delete u.quota_bytes;
      else u.quota_bytes = bytes;
      return d;
    });
  }

  async remove(name: string): Promise<boolean> {
    let found = false;
    await this.file.update((d) => {
      found = d.users.some((u) => u.name === name);
      return { users: d.users.filter((u) => u.name !== name) };
    });
    return found;
  }
}

/**
 * A user's storage quota in bytes: theirs if an admin set one (null: none; 0: nothing may be
 * stored), else the box's default (where 0 means none).
 */
export function quotaOf(u: Pick<UserRecord, 'quota_bytes'> | null, dflt: number): number | null {
  if (u && u.quota_bytes !== undefined) return u.quota_bytes;
  return dflt ? dflt : null;
}
