/**
 * @module Refresh tokens: opaque, random, stored as SHA-256 in `<state>/sessions.json`, valid
 * `ttlS`, and rotating: each refresh spends the token and issues the next of the same family. A
 * spent token presented again means it was copied, so the whole family is revoked (OAuth 2.0
 * Security BCP, refresh token rotation), except within a short grace after it was spent: then it
 * gets the same successor again, as identity providers allow (Auth0's reuse interval, Okta's
 * grace period), so two tabs that refresh at once do not sign their person out. The successor is
 * kept in memory only, for the grace, never on disk. Logout revokes one family; a password reset,
 * all of a user's.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../shared/errors';
import { JsonFile } from './json-file';

interface RefreshRecord {
  id: string;
  user_id: string;
  family: string;
  sha256: string;
  created_at: string;
  expires_at: string;
  spent_at: string | null;
  revoked_at: string | null;
}

const TOKEN = /^fovt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const hash = (t: string) => createHash('sha256').update(t).digest('hex');
const invalid = () =>
  new AppError('unauthorized', 'the refresh token is not valid (unknown, expired, revoked or already used)');

/** A refresh spent: what it gave, kept for the grace. */
interface Spent {
  token: string;
  userId: string;
  issuedAt: string;
  until: number;
}

/** A spent refresh token presented after its grace: its whole session was revoked. */
export interface Reuse {
  session: string;
  user: string;
}

export class Sessions {
  private readonly file: JsonFile<{ tokens: RefreshRecord[] }>;
  /** Spent token id to the successor it gave, for `graceS`. */
  private readonly spent = new Map<string, Spent>();

  constructor(
    path: string,
    private readonly ttlS: number,
    private readonly now: () => number = Date.now,
    private readonly graceS = 10,
  ) {
    this.file = new JsonFile(path, () => ({ tokens: [] }));
  }

  private mint(userId: string, family: string): { token: string; record: RefreshRecord } {
    const id = randomBytes(8).toString('hex');
    const token = `fovt_${id}_${randomBytes(32).toString('base64url')}`;
    const t = this.now();
    return {
      token,
      record: {
        id,
        user_id: userId,
        family,
        sha256: hash(token),
        created_at: new Date(t).toISOString(),
        expires_at: new Date(t + this.ttlS * 1000).toISOString(),
        spent_at: null,
        revoked_at: null,
      },
    };
  }

  async issue(userId: string): Promise<string> {
    const { token, record } = this.mint(userId, randomBytes(8).toString('hex'));
    await this.file.update((d) => ({ tokens: [...this.live(d.tokens), record] }));
    return token;
  }

  /** The record a token is, checked in constant time, or null. */
  private find(tokens: RefreshRecord[], token: string): RefreshRecord | null {
    const m = TOKEN.exec(String(token));
    const r = m ? tokens.find((x) => x.id === m[1]) : undefined;
    return r && timingSafeEqual(Buffer.from(r.sha256, 'hex'), Buffer.from(hash(token), 'hex')) ? r : null;
  }

  /**
   * Spend a token for the next one of its family; the user it belongs to and when it was first
   * issued. A token spent less than the grace ago gets the successor it already gave; one spent
   * before that revokes its family (`onReuse` is told which, for the log).
   */
  async rotate(
    token: string,
    onReuse?: (r: Reuse) => void,
  ): Promise<{ userId: string; token: string; issuedAt: string }> {
    let out: { userId: string; token: string; issuedAt: string } | null = null;
    let reused: Reuse | null = null;
    const now = this.now();
    for (const [id, s] of this.spent) if (s.until <= now) this.spent.delete(id);
    await this.file.update((d) => {
      const r = this.find(d.tokens, token);
      if (!r || r.revoked_at || Date.parse(r.expires_at) <= now) return d;
      const at = new Date(now).toISOString();
      if (r.spent_at) {
        const given = this.spent.get(r.id);
        const successorLive = given && d.tokens.some((x) => x.family === r.family && !x.revoked_at);
        if (given && successorLive) {
          out = { userId: given.userId, token: given.token, issuedAt: given.issuedAt };
          return d;
        }
        reused = { session: r.family, user: r.user_id };
        for (const x of d.tokens) if (x.family === r.family && !x.revoked_at) x.revoked_at = at;
        return d;
      }
      r.spent_at = at;
      const next = this.mint(r.user_id, r.family);
      out = { userId: r.user_id, token: next.token, issuedAt: r.created_at };
      if (this.graceS > 0) this.spent.set(r.id, { ...out, until: now + this.graceS * 1000 });
      return { tokens: [...this.live(d.tokens), next.record] };
    });
    if (reused) {
      onReuse?.(reused);
      throw new AppError('unauthorized', 'this refresh token was already used: every token of its session is revoked');
    }
    if (!out) throw invalid();
    return out;
  }

  /** Logout: the token's whole family. False when the token is not known. */
  async revoke(token: string): Promise<boolean> {
    let found = false;
    await this.file.update((d) => {
      const r = this.find(d.tokens, token);
      if (!r) return d;
      found = true;
      const at = new Date(this.now()).toISOString();
      for (const x of d.tokens) if (x.family === r.family && !x.revoked_at) x.revoked_at = at;
      return d;
    });
    return found;
  }

  async revokeUser(userId: string): Promise<void> {
    const at = new Date(this.now()).toISOString();
    await this.file.update((d) => {
      for (const x of d.tokens) if (x.user_id === userId && !x.revoked_at) x.revoked_at = at;
      return d;
    });
  }

  /** Records still worth keeping (spent and revoked ones are kept until expiry, for reuse detection). */
  private live(tokens: RefreshRecord[]): RefreshRecord[] {
    return tokens.filter((x) => Date.parse(x.expires_at) > this.now());
  }
}
