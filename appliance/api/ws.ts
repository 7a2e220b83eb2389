/**
 * @module GET /ws/analysis: the WebSocket feed (subprotocol `json`). The credential is checked by
 * the auth guard like every other door (from `Authorization: Bearer <token>`, a `token` query
 * parameter, or a `Sec-WebSocket-Protocol` entry `bearer.<token>`: browsers can set neither
 * headers nor, safely, URLs that end up in logs, so prefer the subprotocol), with the scope
 * events:read, and again while the socket is open (socket-leases.ts). The fan-out itself is the WsHub.
 */
import { Elysia } from 'elysia';
import type { ServerWebSocket } from 'bun';
import { AppError } from '../shared/errors';
import type { WsHub } from '../publish/ws-hub';
import { errorResponse } from './errors';
import { BEARER_PROTOCOL, checkedTokenOf, protocolsOf } from './auth';
import { ruleOf } from './access';
import { pathOf } from './path';
import type { SocketLeases } from './socket-leases';

export const WS_PATH = '/ws/analysis';
/** How long a client cut for lagging may hold its socket before it is terminated. */
const CLOSE_GRACE_MS = 5000;

export interface WsOptions {
  hub: WsHub;
  leases: SocketLeases;
  /** What a socket's caller may see, by stream (the runs of others that are private are not). */
  sees: (req: Request) => (stream: string) => boolean;
}

/** Whether a request's canonical path is this route's (`/ws/analysis/`, `//ws/Analysis` alike). */
export const isPath = (req: Request, path: string) => pathOf(req).toLowerCase() === path;

/** Check a WebSocket upgrade's subprotocols: those offered must include the route's own. */
export function protocolGate(req: Request, protocol: string): Response | undefined {
  const offered = protocolsOf(req).filter((p) => !p.startsWith(BEARER_PROTOCOL));
  if (offered.length && !offered.includes(protocol))
    return errorResponse(new AppError('bad_request', `the only WebSocket subprotocol here is ${protocol}`));
  return undefined;
}

/**
 * Hold an opened socket to the credential the guard checked at its upgrade (nothing to hold on a
 * box without auth); the function returned lets it go.
 */
export function holdSocket(
  leases: SocketLeases,
  req: Request,
  close: (code: number, reason: string) => void,
): () => void {
  const token = checkedTokenOf(req);
  const need = ruleOf('GET', pathOf(req))?.need;
  return token && need ? leases.hold(token, need, close) : () => undefined;
}

/** Answer the route's subprotocol when the client offered it (browsers insist on one being chosen). */
export const chooseProtocol = (req: Request, protocol: string, headers: Record<string, unknown>) => {
  if (protocolsOf(req).includes(protocol)) headers['sec-websocket-protocol'] = protocol;
};

type Raw = ServerWebSocket<unknown>;

export const wsApi = (o: WsOptions) => {
  const ids = new WeakMap<Raw, number>();
  const releases = new WeakMap<Raw, () => void>();
  return new Elysia({ name: 'api-ws' })
    .onRequest(({ request }) => (isPath(request, WS_PATH) ? protocolGate(request, 'json') : undefined))
    .ws(WS_PATH, {
      detail: { summary: 'Live events and analysed frames (subprotocol json); see the README' },
      upgrade: (ctx) => chooseProtocol(ctx.request, 'json', ctx.set.headers),
      open(ws) {
        const raw = ws.raw as Raw;
        const origin = new URL(ws.data.request.url).origin;
        const id = o.hub.open(
          {
            send: (t) => {
              raw.send(t);
            },
            bufferedAmount: () => raw.getBufferedAmount(),
            close: (code, reason) => {
              raw.close(code, reason);
              setTimeout(() => {
                if (raw.readyState !== 3) raw.terminate();
              }, CLOSE_GRACE_MS).unref?.();
            },
            terminate: () => raw.terminate(),
            ping: () => {
              raw.ping();
            },
          },
          origin,
          o.sees(ws.data.request),
        );
        if (id === null) return;
        ids.set(raw, id);
        releases.set(
          raw,
          holdSocket(o.leases, ws.data.request, (code, reason) => raw.close(code, reason)),
        );
      },
      message(ws, message) {
        const id = ids.get(ws.raw as Raw);
        if (id !== undefined) void o.hub.message(id, message);
      },
      pong(ws) {
        // Elysia passes Bun's own socket to pong (an ElysiaWS wrapper to the other handlers).
        const id = ids.get(((ws as unknown as { raw?: Raw }).raw ?? ws) as Raw);
        if (id !== undefined) o.hub.pong(id);
      },
      close(ws) {
        const raw = ws.raw as Raw;
        releases.get(raw)?.();
        const id = ids.get(raw);
        if (id !== undefined) o.hub.close(id);
      },
    });
};
