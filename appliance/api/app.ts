/**
 * @module The HTTP application: error mapping, limits and auth first, then one plugin per feature,
 * and the OpenAPI document (/openapi.json) with its docs page (/docs).
 */
import { Elysia } from 'elysia';
import { openapi } from '@elysiajs/openapi';
import type { Runtime } from '../runtime';
import type { Logger } from '../shared/log';
import { VERSION } from '../version';
import { errorHandler } from './errors';
import { authGuard, bodyLimit } from './auth';
import { imagesApi } from './images';
import { searchApi } from './search';
import { healthApi } from './health';
import { streamsApi } from './streams';
import { eventsApi } from './events';
import { publishApi } from './publish';
import { syncApi } from './sync';
import { wsApi } from './ws';
import { fleetApi, type FleetControl } from './fleet';
import { bindMetrics, metricsApi } from './metrics';
import { authRoutes } from './auth-routes';
import { hardening } from './hardening';
import { backupApi } from './backup';
import { usersApi } from './users';

/** Multipart framing around a file is small; this much on top of the file limit is allowed. */
const MULTIPART_OVERHEAD = 64 * 1024;

export function createApp(rt: Runtime, log: Logger, opts: { now?: () => number; fleet?: FleetControl | null } = {}) {
  const c = rt.config.api;
  const baseUrl = (req: Request) => c.public_url.replace(/\/$/, '') || new URL(req.url).origin;
  const remoteUrls = async (keys: string[]) => (rt.sync ? rt.sync.queue.urls(keys) : new Map<string, string>());
  const upload = c.max_upload_bytes + MULTIPART_OVERHEAD;
  // Bun's own cap answers 413 with no body; keep it above the per-route limits so a declared
  // Content-Length gets our JSON error, and let it stop only bodies that send no length.
  // WebSocket: our hub cuts a lagging client at api.ws.max_buffer_bytes; Bun's own limit sits above
  // it so Bun never drops a message silently, and Bun's idle timer is off (the hub pings).
  const websocket = { backpressureLimit: c.ws.max_buffer_bytes * 4, closeOnBackpressureLimit: true, idleTimeout: 0, sendPings: false, maxPayloadLength: 64 * 1024 };
  bindMetrics(rt, opts.fleet ?? null);
  return new Elysia({ serve: { maxRequestBodySize: upload * 2 }, websocket })
    .use(metricsApi(rt, log))
    .use(errorHandler(log))
    .use(hardening({ corsOrigins: c.cors_origins, hsts: !!c.tls.cert_file }))
    .use(bodyLimit([
      { method: 'POST', path: /^\/api\/images\/?$/, maxBytes: upload },
      { method: 'POST', path: /^\/api\/search\/?$/, maxBytes: upload },
    ], 1024 * 1024))
    .use(authGuard({ required: c.auth, metricsAuth: c.metrics_auth, publicRead: c.public_read, perMinute: c.rate_limit_per_minute, identify: (tok) => rt.auth.identify(tok), noUsers: () => rt.users.list().length === 0, now: opts.now }))
    .use(openapi({
      path: '/docs',
      specPath: '/openapi.json',
      documentation: {
        info: { title: 'fovea appliance API', version: VERSION, description: 'Local image registry and similarity search of one fovea box.' },
        components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' }, bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ apiKey: [] }, { bearer: [] }],
      },
    }))
    .use(healthApi(rt))
    .use(authRoutes({ users: rt.users, sessions: rt.sessions, access: rt.access, login: c.login, log: log.child({ mod: 'auth' }), now: opts.now }))
    .use(usersApi({ users: rt.users, sessions: rt.sessions, keys: rt.keys }))
    .use(imagesApi({ images: rt.images, maxUploadBytes: c.max_upload_bytes, baseUrl, remoteUrls }))
    .use(searchApi({ images: rt.images, maxUploadBytes: c.max_upload_bytes, exactBelow: rt.config.search.exact_below, baseUrl, remoteUrls }))
    .use(streamsApi(rt.streams))
    .use(eventsApi(rt.db, baseUrl))
    .use(publishApi(rt))
    .use(syncApi(rt))
    .use(fleetApi(opts.fleet ?? null))
    .use(backupApi(rt.backups))
    .use(wsApi({ hub: rt.hub, required: c.auth, identify: (tok) => rt.auth.identify(tok) }));
}

export type App = ReturnType<typeof createApp>;
