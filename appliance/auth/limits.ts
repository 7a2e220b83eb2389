/**
 * @module The rate limits of every door, in one place: per client address and per credential, in
 * two budgets (API clients and people, see api/budget.ts). HTTP, WebSocket upgrades and gRPC calls
 * take from the same buckets, so a key cannot buy a second minute by switching doors. A key an
 * admin granted images:import (a bulk import) is not held to them. Pure, with the clock passed in.
 */
import { RateLimiter } from './ratelimit';
import type { Identity } from './identity';

export type Budget = 'people' | 'clients';

export interface LimitRefusal {
  retryAfterS: number;
  /** Who was over: the address, or the credential. */
  who: 'address' | 'API key' | 'user';
}

export class DoorLimits {
  private readonly buckets: Record<Budget, { byIp: RateLimiter; bySubject: RateLimiter }>;

  constructor(perMinute: { clients: number; people: number }, now?: () => number) {
    const pair = (n: number) => ({ byIp: new RateLimiter(n, now), bySubject: new RateLimiter(n, now) });
    this.buckets = { clients: pair(perMinute.clients), people: pair(perMinute.people) };
  }

  /** One request from an address, before its credential is checked; a refusal, or null. */
  address(budget: Budget, ip: string, id: Identity | null): LimitRefusal | null {
    if (unlimited(id)) return null;
    const d = this.buckets[budget].byIp.take(ip);
    return d.ok ? null : { retryAfterS: d.retryAfterS, who: 'address' };
  }

  /** One request of a checked credential; a refusal, or null. */
  subject(budget: Budget, id: Identity): LimitRefusal | null {
    if (unlimited(id)) return null;
    const d = this.buckets[budget].bySubject.take(`${id.kind}:${id.subject}`);
    return d.ok ? null : { retryAfterS: d.retryAfterS, who: id.kind === 'key' ? 'API key' : 'user' };
  }
}

const unlimited = (id: Identity | null) => id?.scopes.includes('images:import') ?? false;
