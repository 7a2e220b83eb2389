/**
 * @module API keys. A key is `fov_<id8>_<secret>` with 256 bits of randomness; only its SHA-256 is
 * stored. SHA-256 (not argon2) is the right hash here: the secret is random, not a human password, so
 * there is nothing to brute-force, and every request must be checked in microseconds.
 *
 * Keys live in `<state_dir>/api-keys.json` (mode 0600), not in DuckDB: DuckDB lets one process write
 * a file, and `fovea apikey create` must work while the appliance runs. The server re-reads the file
 * when its modification time changes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../shared/errors';
import { JsonFile } from './json-file';

/**
 * A key belongs to a user (its role bounds what the key may do) and may carry scopes of its own,
 * which narrow it further. A key with no user (made before users existed, or by `fovea apikey
 * create` without --user) acts as an admin.
 */
export interface ApiKeyRecord {
  id: string;
  name: string;
  sha256: string;
  created_at: string;
  revoked_at: string | null;
  user_id?: string | null;
  scopes?: string[] | null;
}
export interface KeyIdentity {
  id: string;
  name: string;
  user_id: string | null;
  scopes: string[] | null;
}

const TOKEN = /^fov_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Make a new key: the token (shown once) and the record to store. Pure but for the randomness. */
export function mintKey(
  name: string,
  now: Date,
  random: (n: number) => Buffer = randomBytes,
  owner: { user_id?: string | null; scopes?: string[] | null } = {},
): { token: string; record: ApiKeyRecord } {
  const id = random(4).toString('hex');
  const token = `fov_${id}_${random(32).toString('base64url')}`;
  return {
    token,
    record: {
      id,
      name,
      sha256: hash(token),
      created_at: now.toISOString(),
      revoked_at: null,
      user_id: owner.user_id ?? null,
      scopes: owner.scopes ?? null,
    },
  };
}

/** The key a token belongs to, or null; the hash comparison is constant-time. */
export function matchKey(records: ApiKeyRecord[], token: string): ApiKeyRecord | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const rec = records.find((r) => r.id === m[1] && r.revoked_at === null);
  if (!rec) return null;
  const a = Buffer.from(rec.sha256, 'hex');
  const b = Buffer.from(hash(token), 'hex');
  return a.length === b.length && timingSafeEqual(a, b) ? rec : null;
}

export class KeyFile {
  private readonly file: JsonFile<{ keys: ApiKeyRecord[] }>;

  constructor(readonly path: string) {
    this.file = new JsonFile(path, () => ({ keys: [] }));
  }

  list(): ApiKeyRecord[] {
    return [...this.file.read().keys];
  }

  verify(token: string): KeyIdentity | null {
    const rec = matchKey(this.file.read().keys, token);
    return rec ? { id: rec.id, name: rec.name, user_id: rec.user_id ?? null, scopes: rec.scopes ?? null } : null;
  }

  async create(name: string, owner: { user_id?: string | null; scopes?: string[] | null } = {}): Promise<string> {
    const { token, record } = mintKey(name, new Date(), randomBytes, owner);
    await this.file.update((d) => {
      if (d.keys.some((r) => r.name === name && r.revoked_at === null)) {
        throw new AppError(
          'bad_request',
          `an active API key named '${name}' exists; revoke it first or choose another name`,
        );
      }
      return { keys: [...d.keys, record] };
    });
    return token;
  }

  async revoke(nameOrId: string): Promise<boolean> {
    let found = false;
    await this.file.update((d) => {
      const target = d.keys.find((r) => (r.name === nameOrId || r.id === nameOrId) && r.revoked_at === null);
      if (target) {
        target.revoked_at = new Date().toISOString();
        found = true;
      }
      return d;
    });
    return found;
  }
}
