/**
 * @module Whether a browser's push subscription may be kept: the box will POST to its endpoint, so
 * an endpoint is an https URL of a public host. A loopback or private address, a bare IP in a
 * private range, or http would let a user aim the box at its own network (SSRF); `allowLoopbackHttp`
 * is for tests with a push-service stand-in. The keys are those RFC 8291 needs: a P-256 point (65
 * bytes) and a 16-byte auth secret, base64url. Pure.
 */

export interface EndpointCheck {
  allowLoopbackHttp: boolean;
}

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const bytes = (s: string) => (B64URL.test(s) ? Buffer.from(s, 'base64url').length : -1);

/** Private, loopback, link-local and unique-local addresses, and names that mean this host or its network. */
function isInternal(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal')) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  if (h.includes(':'))
    return (
      h === '::' ||
      h === '::1' ||
      h.startsWith('fc') ||
      h.startsWith('fd') ||
      h.startsWith('fe80') ||
      h.startsWith('::ffff:')
    );
  return false;
}

const isLoopback = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '[::1]';

/** Why this subscription cannot be kept, or null when it can. */
export function subscriptionProblem(
  s: { endpoint: string; keys: { p256dh: string; auth: string } },
  o: EndpointCheck,
): string | null {
  let u: URL;
  try {
    u = new URL(s.endpoint);
  } catch {
    return 'endpoint is not a URL';
  }
  const loopbackHttp = o.allowLoopbackHttp && u.protocol === 'http:' && isLoopback(u.hostname);
  if (!loopbackHttp) {
    if (u.protocol !== 'https:') return 'endpoint must be an https URL (a browser push service)';
    if (isInternal(u.hostname)) return 'endpoint must be a public host, not this box or its network';
  }
  if (u.username || u.password) return 'endpoint must not carry credentials';
  if (bytes(s.keys.p256dh) !== 65) return 'keys.p256dh must be a P-256 public key (65 bytes, base64url)';
  if (bytes(s.keys.auth) !== 16) return 'keys.auth must be a 16-byte secret (base64url)';
  return null;
}
