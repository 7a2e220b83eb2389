/**
 * @module Refresh tokens: opaque, random, stored as SHA-256 in `<state>/sessions.json`, valid
 * `ttlS`, and rotating: each refresh spends the token and issues the next of the same family. A
 * spent token presented again means it was copied, so the whole family is revoked (OAuth 2.0
 * Security BCP, refresh token rotation). Logout revokes one family; a password reset, all of a user's.
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

export class Sessions {
  private readonly file: JsonFile<{ tokens: RefreshRecord[] }>;

  constructor(
    path: string,
    private readonly ttlS: number,
    private readonly now: () => number = Date.now,
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

  /** Spend a token for the next one of its family; the user it belongs to and when it was first issued. */
  async rotate(token: string): Promise<{ userId: string; token: string; issuedAt: string }> {
    let out: { userId: string; token: string; issuedAt: string } | null = null;
    let reused = false;
    await this.file.update((d) => {
      const r = this.find(d.tokens, token);
      if (!r || r.revoked_at || Date.parse(r.expires_at) <= this.now()) return d;
      const at = new Date(this.now()).toISOString();
      if (r.spent_at) {
        reused = true;
        for (const x of d.tokens) if (x.family === r.family && !x.revoked_at) x.revoked_at = at;
        return d;
      }
      r.spent_at = at;
      const next = this.mint(r.user_id, r.family);
      out = { userId: r.user_id, token: next.token, issuedAt: r.created_at };
      return { tokens: [...this.live(d.tokens), next.record] };
    });
    if (reused)
      throw new AppError('unauthorized', 'this refresh token was already used: every token of its session is revoked');
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
