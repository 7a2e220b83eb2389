/**
 * @module A WebSocket lives as long as its credential. The guard checks the credential when the
 * socket opens; here it is checked again every few seconds for as long as the socket is open, so
 * a revoked key, a removed user, a password reset, a role that lost the route's scope or a login
 * token that expired ends the socket (4401: the credential no longer checks out; 4403: it no
 * longer carries the scope), instead of streaming on. Sockets opened on a box without auth hold
 * no lease.
 */
import type { Identity } from '../auth/identity';
import { every, type Timers } from '../shared/timers';
import { messageOf } from '../shared/errors';
import type { Need } from './access';
import { allows } from './auth';

export const CLOSE_CREDENTIAL = { invalid: 4401, forbidden: 4403 } as const;

interface Lease {
  token: string;
  need: Need;
  close(code: number, reason: string): void;
}

/** A close reason fits in 123 bytes (RFC 6455 5.5: a control frame's payload is at most 125). */
const reasonOf = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  return bytes.length <= 123 ? text : new TextDecoder().decode(bytes.slice(0, 120)).replace(/\uFFFD$/, '');
};

export class SocketLeases {
  private readonly leases = new Set<Lease>();
  private readonly loop: { stop(): void };

  constructor(
    private readonly identify: (token: string) => Promise<Identity>,
    timers: Timers,
    recheckMs: number,
  ) {
    this.loop = every(timers, () => void this.recheck(), recheckMs);
  }

  get size(): number {
    return this.leases.size;
  }

  /** Hold a socket to its credential; the function returned lets it go (call it when the socket closes). */
  hold(token: string, need: Need, close: (code: number, reason: string) => void): () => void {
    const lease: Lease = { token, need, close };
    this.leases.add(lease);
    return () => {
      this.leases.delete(lease);
    };
  }

  /** Check every held credential now; close the sockets whose credential no longer allows them. */
  async recheck(): Promise<void> {
    await Promise.all(
      [...this.leases].map(async (l) => {
        const verdict = await this.identify(l.token).then(
          (id) => {
            const missing = allows(l.need, id);
            return missing
              ? { code: CLOSE_CREDENTIAL.forbidden, why: `the credential no longer has ${missing}` }
              : null;
          },
          (e: unknown) => ({ code: CLOSE_CREDENTIAL.invalid, why: messageOf(e) }),
        );
        if (!verdict || !this.leases.has(l)) return;
        this.leases.delete(l);
        l.close(verdict.code, reasonOf(verdict.why));
      }),
    );
  }

  stop(): void {
    this.loop.stop();
    this.leases.clear();
  }
}
