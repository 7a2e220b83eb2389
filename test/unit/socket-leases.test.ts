/** SocketLeases on fake time: a socket is checked again on every tick and closed with the reason its credential fails. */
import { describe, expect, test } from 'bun:test';
import { SocketLeases } from '../../appliance/api/socket-leases';
import type { Identity } from '../../appliance/auth/identity';
import { AppError } from '../../appliance/shared/errors';
import { FakeTimers } from '../../appliance/shared/timers';

const viewer: Identity = { kind: 'key', subject: 'k', userId: 'u', role: 'viewer', scopes: ['events:read'] };

describe('SocketLeases', () => {
  test('each lease is closed once, with 4401 for a failing credential and 4403 for a lost scope', async () => {
    const timers = new FakeTimers();
    const answers = new Map<string, Identity | Error>([
      ['good', viewer],
      ['revoked', viewer],
      ['narrowed', viewer],
    ]);
    const leases = new SocketLeases(
      async (t) => {
        const a = answers.get(t)!;
        if (a instanceof Error) throw a;
        return a;
      },
      timers,
      2000,
    );
    const closed: Array<[string, number, string]> = [];
    for (const t of ['good', 'revoked', 'narrowed'])
      leases.hold(t, { scope: 'events:read' }, (code, reason) => closed.push([t, code, reason]));
    answers.set('revoked', new AppError('unauthorized', 'the API key is not valid'));
    answers.set('narrowed', { ...viewer, scopes: ['images:read'] });
    timers.advance(1999);
    await Bun.sleep(0);
    expect(closed).toEqual([]);
    await leases.recheck();
    await leases.recheck();
    expect(closed).toEqual([
      ['revoked', 4401, 'the API key is not valid'],
      ['narrowed', 4403, 'the credential no longer has events:read'],
    ]);
    expect(leases.size).toBe(1);
    leases.stop();
  });

  test('a released lease is never closed, and a long reason is cut to fit a close frame', async () => {
    const leases = new SocketLeases(
      async () => {
        throw new Error('é'.repeat(200));
      },
      new FakeTimers(),
      2000,
    );
    const closed: string[] = [];
    const release = leases.hold('a', 'user', () => closed.push('a'));
    leases.hold('b', 'user', (_c, reason) => closed.push(reason));
    release();
    await leases.recheck();
    expect(closed.length).toBe(1);
    expect(new TextEncoder().encode(closed[0]!).length).toBeLessThanOrEqual(123);
    leases.stop();
  });
});
