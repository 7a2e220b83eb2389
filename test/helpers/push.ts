/**
 * @module A browser's side of web push for tests: a subscription's key pair and auth secret, and a
 * push-service stand-in on loopback that keeps what it is sent and answers by path (/gone 410,
 * /unknown 404, /broken 500, /hang never; anything else 201). `open` decrypts a push as the
 * browser would (RFC 8291, aes128gcm).
 */
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import * as ece from 'http_ece';

export const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

export interface Browser {
  ecdh: ECDH;
  auth: Buffer;
  target: { endpoint: string; keys: { p256dh: string; auth: string } };
}

export function browser(endpoint: string): Browser {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, target: { endpoint, keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) } } };
}

/** The plaintext of a push body, opened with the browser's keys (throws when they are not its keys). */
export const open = (b: Browser, body: Uint8Array): string =>
  ece.decrypt(Buffer.from(body), { version: 'aes128gcm', privateKey: b.ecdh, authSecret: b64u(b.auth) }).toString();

export interface Received {
  path: string;
  at: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export function pushService(): { url: string; received: Received[]; stop(): void } {
  const received: Received[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === '/hang') return new Promise<Response>(() => {});
      received.push({
        path,
        at: Date.now(),
        headers: Object.fromEntries(req.headers),
        body: new Uint8Array(await req.arrayBuffer()),
      });
      if (path === '/gone') return new Response('', { status: 410 });
      if (path === '/unknown') return new Response('', { status: 404 });
      if (path === '/broken') return new Response('', { status: 500 });
      return new Response('', { status: 201 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, received, stop: () => server.stop(true) };
}
