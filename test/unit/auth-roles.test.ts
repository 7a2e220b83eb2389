import { describe, expect, test } from 'bun:test';
import { effectiveScopes, ROLE_SCOPES, roleScopes, unknownScopes } from '../../appliance/auth/roles';
import { Lockout } from '../../appliance/auth/lockout';
import { backupName, nextDaily, toPrune } from '../../appliance/backup/schedule';

describe('roles', () => {
  test('viewer reads, operator also writes images, streams and fleet syncs, admin has every scope', () => {
    expect([
      ROLE_SCOPES.viewer.every((s) => s.endsWith(':read')),
      ROLE_SCOPES.operator.includes('images:write'),
      ROLE_SCOPES.operator.includes('users:admin'),
      ROLE_SCOPES.admin.includes('backup:admin'),
    ]).toEqual([true, true, false, true]);
  });
  test("a key's own scopes narrow its user's role, never widen it", () => {
    expect(effectiveScopes('viewer', ['images:read', 'images:write'])).toEqual(['images:read']);
    expect(effectiveScopes('operator', null)).toEqual(roleScopes('operator'));
    expect(unknownScopes(['images:read', 'root', 'images:*'])).toEqual(['root', 'images:*']);
  });
  test('images:import (no request limit) is had only when a key names it, within its role', () => {
    expect([
      roleScopes('admin').includes('images:import'),
      effectiveScopes('admin', null).includes('images:import'),
      effectiveScopes('operator', ['images:write', 'images:import']),
      effectiveScopes('viewer', ['images:read', 'images:import']),
    ]).toEqual([false, false, ['images:write', 'images:import'], ['images:read']]);
  });
});

describe('Lockout', () => {
  test('the free-th wrong password locks; the lock doubles per failure up to the cap; a success clears it', () => {
    let t = 0;
    const l = new Lockout({ free: 3, baseS: 30, maxS: 100, now: () => t });
    const locks = [
      l.failed('ann'),
      l.failed('ann'),
      l.failed('ann'),
      l.failed('ann'),
      l.failed('ann'),
      l.failed('ann'),
      l.failed('ann'),
    ];
    expect(locks).toEqual([0, 0, 30, 60, 100, 100, 100]);
    expect([l.lockedFor('ann'), l.lockedFor('bob')]).toEqual([100, 0]);
    t += 100_000;
    expect(l.lockedFor('ann')).toBe(0);
    l.succeeded('ann');
    expect(l.failed('ann')).toBe(0);
  });
});

describe('backup schedule', () => {
  test('the next daily time is strictly after now; pruning keeps the newest', () => {
    const at = (s: string) => new Date(s);
    const next = nextDaily(at('2026-12-01T01:59:00'), '02:00');
    const after = nextDaily(at('2026-12-01T02:00:00'), '02:00');
    expect([next.getDate(), next.getHours(), after.getDate()]).toEqual([1, 2, 2]);
    expect(toPrune(['fovea-b-20261203T020000Z', 'fovea-b-20261201T020000Z', 'fovea-b-20261202T020000Z'], 2)).toEqual([
      'fovea-b-20261201T020000Z',
    ]);
    expect(backupName('box/1', new Date('2026-12-01T02:00:05.123Z'))).toBe('fovea-box_1-20261201T020005Z');
  });
});
