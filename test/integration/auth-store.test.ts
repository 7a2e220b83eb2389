/** Users and refresh tokens in their files: argon2id passwords, one-time reset tokens, rotation with reuse detection. */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { statSync, readFileSync } from 'node:fs';
import { tempDir } from '../helpers/fixtures';
import { Users } from '../../appliance/auth/users';
import { Sessions } from '../../appliance/auth/sessions';
import { FakeTimers } from '../../appliance/shared/timers';

describe('Users', () => {
  test('argon2id hashes in a 0600 file; right and wrong passwords; unknown names fail the same way', async () => {
    await using dir = await tempDir();
    const users = new Users(join(dir.path, 'users.json'));
    const ann = await users.create('ann', 'admin', 'correct horse battery');
    const file = readFileSync(join(dir.path, 'users.json'), 'utf8');
    expect([
      statSync(join(dir.path, 'users.json')).mode & 0o777,
      file.includes('correct horse'),
      ann.password_hash!.startsWith('$argon2id$'),
    ]).toEqual([0o600, false, true]);
    expect([
      (await users.authenticate('ann', 'correct horse battery'))?.id,
      await users.authenticate('ann', 'wrong password!!'),
      await users.authenticate('nobody', 'correct horse battery'),
    ]).toEqual([ann.id, null, null]);
    await expect(users.create('ann', 'viewer', 'another password')).rejects.toThrow('exists');
    await expect(users.create('bob', 'viewer', 'short')).rejects.toThrow('at least 10');
    await expect(users.create('../etc', 'viewer', null)).rejects.toThrow('user name');
  });

  test('a reset token sets the password once, revokes older tokens, and cannot be used twice', async () => {
    await using dir = await tempDir();
    const clock = new FakeTimers();
    clock.advance(Date.parse('2026-12-01T10:00:00Z'));
    const users = new Users(join(dir.path, 'users.json'), clock);
    const bob = await users.create('bob', 'viewer', null);
    expect(await users.authenticate('bob', 'anything at all')).toBeNull();
    const token = await users.issueReset('bob');
    expect(readFileSync(join(dir.path, 'users.json'), 'utf8')).not.toContain(token);
    clock.advance(5);
    const after = await users.consumeReset(token, 'a brand new password');
    expect({
      id: (await users.authenticate('bob', 'a brand new password'))?.id,
      before: bob.tokens_valid_after,
      after: after.tokens_valid_after,
    }).toEqual({ id: bob.id, before: '2026-12-01T10:00:00.000Z', after: '2026-12-01T10:00:00.005Z' });
    await expect(users.consumeReset(token, 'yet another password')).rejects.toThrow('not valid');
    await expect(users.consumeReset('fovr_made-up', 'yet another password')).rejects.toThrow('not valid');
  });

  test('two first signups at once: exactly one becomes the first user', async () => {
    await using dir = await tempDir();
    const users = new Users(join(dir.path, 'users.json'));
    const r = await Promise.allSettled(
      ['a-first', 'b-first', 'c-first'].map((n) => users.create(n, 'admin', null, { firstOnly: true })),
    );
    const refused = r
      .filter((x): x is PromiseRejectedResult => x.status === 'rejected')
      .map((x) => (x.reason as { code?: string }).code);
    expect([r.filter((x) => x.status === 'fulfilled').length, refused, users.list().length]).toEqual([
      1,
      ['forbidden', 'forbidden'],
      1,
    ]);
  });

  test('a second process sees a change made by the first (the file is re-read)', async () => {
    await using dir = await tempDir();
    const a = new Users(join(dir.path, 'users.json'));
    const b = new Users(join(dir.path, 'users.json'));
    expect(b.list()).toEqual([]);
    await a.create('cli-made', 'operator', null);
    expect(b.byName('cli-made')?.role).toBe('operator');
  });
});

describe('Sessions', () => {
  test('rotation: each refresh spends the token; a spent token presented after the grace revokes its whole family', async () => {
    await using dir = await tempDir();
    let now = 1_000_000;
    const s = new Sessions(join(dir.path, 'sessions.json'), 3600, () => now, 10);
    const t1 = await s.issue('u1');
    const r2 = await s.rotate(t1);
    const r3 = await s.rotate(r2.token);
    expect([r2.userId, r3.userId]).toEqual(['u1', 'u1']);
    now += 10_001;
    const told: unknown[] = [];
    await expect(s.rotate(t1, (r) => told.push(r))).rejects.toThrow('already used');
    expect(told).toEqual([{ session: expect.any(String), user: 'u1' }]);
    // The thief's replay revoked the family: the legitimate newest token is dead too.
    await expect(s.rotate(r3.token)).rejects.toThrow('not valid');
  });

  test('within the grace a spent token gets the same successor (two tabs at once), and the session goes on', async () => {
    await using dir = await tempDir();
    let now = 1_000_000;
    const s = new Sessions(join(dir.path, 'sessions.json'), 3600, () => now, 10);
    const t1 = await s.issue('u1');
    const [a, b] = await Promise.all([s.rotate(t1), s.rotate(t1)]);
    now += 9_000;
    const c = await s.rotate(t1);
    expect([a.token === b.token, b.token === c.token]).toEqual([true, true]);
    const next = await s.rotate(c.token);
    expect(next.userId).toBe('u1');
    // A box with no grace keeps the strict rule.
    const strict = new Sessions(join(dir.path, 'strict.json'), 3600, () => now, 0);
    const u = await strict.issue('u2');
    await strict.rotate(u);
    await expect(strict.rotate(u)).rejects.toThrow('already used');
  });

  test('logout revokes; expiry ends; a user reset revokes all their sessions; garbage is refused', async () => {
    await using dir = await tempDir();
    let now = 1_000_000;
    const s = new Sessions(join(dir.path, 'sessions.json'), 60, () => now);
    const a = await s.issue('u1');
    const b = await s.issue('u1');
    const c = await s.issue('u2');
    expect(await s.revoke(a)).toBe(true);
    await expect(s.rotate(a)).rejects.toThrow('not valid');
    await s.revokeUser('u1');
    await expect(s.rotate(b)).rejects.toThrow('not valid');
    now += 61_000;
    await expect(s.rotate(c)).rejects.toThrow('not valid');
    await expect(s.rotate("fovt_' OR 1=1 --")).rejects.toThrow('not valid');
    expect(await s.revoke('x'.repeat(10_000))).toBe(false);
  });
});
