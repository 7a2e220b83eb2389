import { describe, expect, test } from 'bun:test';
import { effectiveScopes, ROLE_SCOPES, unknownScopes } from '../../appliance/auth/roles';
import { Lockout } from '../../appliance/auth/lockout';

describe('roles', () => {
  test('viewer reads, operator also writes images, streams and fleet syncs, admin has every scope', () => {
    expect([ROLE_SCOPES.viewer.every((s) => s.endsWith(':read')), ROLE_SCOPES.operator.includes('images:write'), ROLE_SCOPES.operator.includes('users:admin'), ROLE_SCOPES.admin.includes('backup:admin')])
      .toEqual([true, true, false, true]);
  });
  test("a key's own scopes narrow its user's role, never widen it", () => {
    expect(effectiveScopes('viewer', ['images:read', 'images:write'])).toEqual(['images:read']);
    expect(effectiveScopes('operator', null)).toEqual([...ROLE_SCOPES.operator]);
    expect(unknownScopes(['images:read', 'root', 'images:*'])).toEqual(['root', 'images:*']);
  });
});

describe('Lockout', () => {
  test('the free-th wrong password locks; the lock doubles per failure up to the cap; a success clears it', () => {
    let t = 0;
    const l = new Lockout({ free: 3, baseS: 30, maxS: 100, now: () => t });
    const locks = [l.failed('ann'), l.failed('ann'), l.failed('ann'), l.failed('ann'), l.failed('ann'), l.failed('ann'), l.failed('ann')];
    expect(locks).toEqual([0, 0, 30, 60, 100, 100, 100]);
    expect([l.lockedFor('ann'), l.lockedFor('bob')]).toEqual([100, 0]);
    t += 100_000;
    expect(l.lockedFor('ann')).toBe(0);
    l.succeeded('ann');
    expect(l.failed('ann')).toBe(0);
  });
});
