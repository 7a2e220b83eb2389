/**
 * @module GET /ws/analysis: the WebSocket feed (subprotocol `json`). Authentication happens before
 * the upgrade, from `Authorization: Bearer <token>`, a `token` query parameter, or a
 * `Sec-WebSocket-Protocol` entry `bearer.<token>` (browsers can set neither headers nor, safely,
 * URLs that end up in logs: prefer the subprotocol). A token is an API key, a login token or an
 * outside JWT (api.jwt), with the scope events:read. The fan-out itself is the WsHub.
 */
import { Elysia } from 'elysia';
import type { ServerWebSocket } from 'bun';
import { AppError, isAppError } from '../shared/errors';
import type { Identity } from '../auth/identity';
import type { WsHub } from '../publish/ws-hub';
import { errorResponse } from './errors';
import { allows, tokenOf } from './auth';
import { ruleOf } from './access';

export const WS_PATH = '/ws/analysis';
const BEARER_PROTOCOL = 'bearer.';
/** How long a client cut for lagging may hold its socket before it is terminated. */
const CLOSE_GRACE_MS = 5000;

export interface WsOptions {
  hub: WsHub;
  required: boolean;
  identify: (token: string) => Promise<Identity>;
}

const protocolsOf = (req: Request) =>
  (req.headers.get('sec-websocket-protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

/** The token of a WebSocket upgrade: header first, then the bearer.<token> subprotocol, then ?token=. */
export function wsTokenOf(req: Request): string | null {
  const fromHeader = tokenOf(req.headers);
  if (fromHeader) return fromHeader;
  const proto = protocolsOf(req).find((p) => p.startsWith(BEARER_PROTOCOL));
  if (proto) return proto.slice(BEARER_PROTOCOL.length);
  return new URL(req.url).searchParams.get('token');
}

/** What a WebSocket route asks of an upgrade: its subprotocol, and whether a token is required. */
export interface WsGate {
  protocol: string;
  required: boolean;
  identify: (token: string) => Promise<Identity>;
}

/**
 * Check a WebSocket upgrade before it happens: the offered subprotocols must include the route's
 * own, and the token (when required) must carry the scope the access table gives the route.
 */
export async function wsGate(req: Request, o: WsGate): Promise<Response | undefined> {
  const offered = protocolsOf(req).filter((p) => !p.startsWith(BEARER_PROTOCOL));
  if (offered.length && !offered.includes(o.protocol)) {
    return errorResponse(new AppError('bad_request', `the only WebSocket subprotocol here is ${o.protocol}`));
  }
  if (!o.required) return undefined;
  const token = wsTokenOf(req);
  if (!token)
    return errorResponse(
      new AppError(
        'unauthorized',
        'a token is required: Authorization: Bearer, subprotocol bearer.<token>, or ?token=',
        { headers: { 'www-authenticate': 'Bearer' } },
      ),
    );
  try {
    const id = await o.identify(token);
    const rule = ruleOf('GET', new URL(req.url).pathname);
    const missing = rule ? allows(rule.need, id) : null;
    if (missing) return errorResponse(new AppError('forbidden', `this needs the scope ${missing}`));
  } catch (e) {
    return errorResponse(isAppError(e) ? e : new AppError('unauthorized', 'the token is not valid'));
  }
  return undefined;
}

/** Answer the route's subprotocol when the client offered it (browsers insist on one being chosen). */
export const chooseProtocol = (req: Request, protocol: string, headers: Record<string, unknown>) => {
  if (protocolsOf(req).includes(protocol)) headers['sec-websocket-protocol'] = protocol;
};

type Raw = ServerWebSocket<unknown>;

export const wsApi = (o: WsOptions) => {
  const ids = new WeakMap<Raw, number>();
  return new Elysia({ name: 'api-ws' })
    .onRequest(async ({ request }) => {
      if (new URL(request.url).pathname !== WS_PATH) return;
      return wsGate(request, { protocol: 'json', required: o.required, identify: o.identify });
    })
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
        );
        if (id !== null) ids.set(raw, id);
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
        const id = ids.get(ws.raw as Raw);
        if (id !== undefined) o.hub.close(id);
      },
    });
};
