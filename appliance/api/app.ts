/**
 * @module The HTTP application: error mapping, limits and auth first, then one plugin per feature,
 * and the OpenAPI document (/openapi.json) with its docs page (/docs).
 */
import { Elysia } from 'elysia';
import type { Config } from '../config/schema';
import type { Metrics } from '../metrics/prom';
import type { Authenticator } from '../auth/identity';
import type { Users } from '../auth/users';
import type { Sessions } from '../auth/sessions';
import type { AccessTokens } from '../auth/jwt';
import type { KeyFile } from '../auth/keys';
import type { ImageService } from '../images/service';
import type { Streams } from '../ingest/streams';
import type { Imaging } from '../imaging/port';
import type { Backups } from '../backup/service';
import type { Logger } from '../shared/log';
import { VERSION } from '../shared/version';
import { errorHandler } from './errors';
import { notifyApi, type NotifyApiDeps } from './notify';
import { authGuard, carryCaller, identityOf, viewerOf } from './auth';
import { classifiersApi, type ClassifiersApiDeps } from './classifiers';
import { bodyLimits } from './body-limit';
import { imagesApi } from './images';
import { searchApi } from './search';
import { healthApi, type HealthDeps } from './health';
import { streamsApi } from './streams';
import { eventsApi } from './events';
import { recordingsApi } from './recordings';
import { reviewApi } from './review';
import type { Recordings } from '../record/service';
import type { ReviewStore } from '../store/recordings';
import { getEvent } from '../store/results';
import { publishApi, type PublishDeps } from './publish';
import { syncApi, type SyncDeps } from './sync';
import { wsApi } from './ws';
import { liveApi } from './live';
import { catalogApi } from './catalog';
import { analyticsApi } from './analytics';
import type { LibraryUsage } from './users';
import { quotaOf } from '../auth/users';
import type { Analytics } from '../analytics/service';
import type { DoorLimits } from '../auth/limits';
import type { SocketLeases } from './socket-leases';
import { runsApi } from './runs';
import type { RunService } from '../runs/service';
import type { LiveVideo } from '../ingest/live-video';
import type { ModelPool } from '../pipeline/models';
import type { ModelFetcher } from '../models/fetcher';
import { shadowApi, type ShadowView } from './shadow';
import { fleetApi, type FleetControl } from './fleet';
import { carryTiming, metricsApi } from './metrics';
import { authRoutes } from './auth-routes';
import { hardening } from './hardening';
import { backupApi } from './backup';
import { systemApi } from './system';
import { recentProblems } from '../shared/log';
import { usersApi } from './users';
import { notFoundPage, uiApi } from './ui';
import { docsApi } from './docs';
import type { UiBundle } from '../ui/bundle';

/** Multipart framing around a file is small; this much on top of the file limit is allowed. */
const MULTIPART_OVERHEAD = 64 * 1024;

/** What the HTTP application serves from: the services each plugin takes, handed in by the composition root. */
export interface AppDeps extends HealthDeps, PublishDeps, SyncDeps {
  api: Config['api'];
  /** Below this many images a search is exact (config search.exact_below). */
  exactBelow: number;
  metrics: Metrics;
  auth: Authenticator;
  users: Users;
  sessions: Sessions;
  access: AccessTokens;
  keys: KeyFile;
  images: ImageService;
  streams: Streams;
  shadows: ShadowView;
  live: LiveVideo;
  models: ModelPool;
  fetcher: ModelFetcher;
  config: Config;
  imaging: Imaging;
  backups: Backups;
  runs: RunService;
  analytics: Analytics;
  /** The rate limits every door shares (HTTP, WebSocket, gRPC). */
  limits: DoorLimits;
  /** Open WebSockets held to their credentials. */
  sockets: SocketLeases;
  /** Presigned bucket URLs of the stored objects already uploaded (empty when sync is off). */
  remoteUrls(keys: string[]): Promise<Map<string, string>>;
  /** The dashboard's files (built or embedded). */
  ui: Promise<UiBundle>;
  recordings: Recordings;
  reviewStore: ReviewStore;
  /** Web push for the caller's browsers. */
  notify: NotifyApiDeps;
  /** Classifiers trained on the box. */
  classifiers: Omit<ClassifiersApiDeps, 'authRequired'>;
}

export function createApp(rt: AppDeps, log: Logger, opts: { now?: () => number; fleet?: FleetControl | null } = {}) {
  const c = rt.api;
  const baseUrl = (req: Request) => c.public_url.replace(/\/$/, '') || new URL(req.url).origin;
  const remoteUrls = rt.remoteUrls;
  const upload = c.max_upload_bytes + MULTIPART_OVERHEAD;
  // Bun's own cap answers 413 with no body; keep it above the per-route limits so a declared
  // Content-Length gets our JSON error, and let it stop only bodies that send no length.
  // WebSocket: our hub cuts a lagging client at api.ws.max_buffer_bytes; Bun's own limit sits above
  // it so Bun never drops a message silently, and Bun's idle timer is off (the hub pings).
  const websocket = {
    backpressureLimit: c.ws.max_buffer_bytes * 4,
    closeOnBackpressureLimit: true,
    idleTimeout: 0,
    sendPings: false,
    maxPayloadLength: 64 * 1024,
  };
  const runsBody = rt.config.runs.max_request_bytes + MULTIPART_OVERHEAD;
  const library: LibraryUsage = {
    usage: (owners) => rt.images.usage(owners),
    quota: (u) => quotaOf(u, rt.config.images.quota_bytes),
  };
  const clipDeps = {
    recordings: rt.recordings,
    roll: (stream: string) => {
      const r = rt.config.streams.find((x) => x.id === stream)?.record;
      return r ? { pre_s: r.pre_s, post_s: r.post_s } : null;
    },
  };
  const bodies = bodyLimits(
    [
      { method: 'POST', path: '/api/images', maxBytes: upload },
      { method: 'POST', path: '/api/search', maxBytes: upload },
      { method: 'POST', path: '/api/runs', maxBytes: runsBody },
    ],
    1024 * 1024,
    (from, to) => {
      carryTiming(from, to);
      carryCaller(from, to);
    },
  );
  return new Elysia({ serve: { maxRequestBodySize: Math.max(upload, runsBody) * 2 }, websocket })
    .use(metricsApi(rt.metrics, log))
    .use(errorHandler(log, notFoundPage(rt.ui, c.base_path)))
    .use(hardening({ corsOrigins: c.cors_origins, hsts: !!c.tls.cert_file }))
    .use(bodies.declared)
    .use(
      authGuard({
        required: c.auth,
        metricsAuth: c.metrics_auth,
        publicRead: c.public_read,
        publicAnalytics: rt.config.analytics.public,
        limits: rt.limits,
        identify: (tok) => rt.auth.identify(tok),
        noUsers: () => rt.users.list().length === 0,
      }),
    )
    .use(bodies.streamed)
    .use(docsApi(VERSION))
    .use(uiApi(rt.ui, c.base_path))
    .use(healthApi(rt))
    .use(
      authRoutes({
        required: c.auth,
        publicAnalytics: rt.config.analytics.public,
        library,
        users: rt.users,
        sessions: rt.sessions,
        access: rt.access,
        login: c.login,
        log: log.child({ mod: 'auth' }),
        now: opts.now,
      }),
    )
    .use(usersApi({ users: rt.users, sessions: rt.sessions, keys: rt.keys, library }))
    .use(
      imagesApi({
        images: rt.images,
        maxUploadBytes: c.max_upload_bytes,
        baseUrl,
        remoteUrls,
        authRequired: c.auth,
        nameOf: (owner) => rt.users.byId(owner)?.name ?? owner,
        idOf: (name) => rt.users.byName(name)?.id ?? null,
      }),
    )
    .use(
      searchApi({
        images: rt.images,
        maxUploadBytes: c.max_upload_bytes,
        exactBelow: rt.exactBelow,
        baseUrl,
        remoteUrls,
        authRequired: c.auth,
      }),
    )
    .use(streamsApi(rt.streams, rt.imaging, rt.live))
    .use(shadowApi(rt.shadows))
    .use(
      catalogApi({
        models: rt.models.catalog,
        providers: rt.config.models.providers,
        present: (ref) => rt.fetcher.present(ref),
        providerOf: (ref) =>
          rt.models.providers.get(ref)?.provider ??
          (ref === rt.embedder.modelRef && rt.embedder.provider !== 'not loaded' ? rt.embedder.provider : null),
        pipelinesDir: () => rt.streams.pipelinesDir,
        revision: () => rt.streams.revision,
        fleetManaged: rt.config.fleet.repo !== '',
        reload: async (name) => {
          const using = rt.streams.runners().filter((r) => r.config.pipeline === name);
          const failed: Array<{ stream: string; error: string }> = [];
          for (const r of using)
            await rt.streams.update(r.config.id, {}).catch((e: unknown) => {
              failed.push({ stream: r.config.id, error: (e as Error).message });
            });
          return { streams: using.map((r) => r.config.id), failed };
        },
      }),
    )
    .use(
      runsApi({
        authRequired: c.auth,
        runs: rt.runs,
        files: rt.runs.files,
        maxUploadBytes: c.max_upload_bytes,
        maxFiles: rt.config.runs.max_files,
        clips: rt.config.runs.video_dirs.length > 0,
      }),
    )
    .use(
      analyticsApi({
        analytics: rt.analytics,
        authRequired: c.auth,
        hiddenRuns: (viewer) => rt.runs.hidden(viewer),
      }),
    )
    .use(
      recordingsApi({
        ...clipDeps,
        item: (id, user) => rt.reviewStore.get(id, user),
        items: (stream, start, end, user) =>
          rt.reviewStore.list({ user, stream, after: start, before: end, limit: 1000 }),
        event: async (id) => {
          const r = await getEvent(rt.db, id);
          if (!r || r.stream.startsWith('run:')) return null;
          return { stream: r.stream, ts: new Date(r.timestamp).getTime(), item: await rt.reviewStore.ofEvent(id) };
        },
      }),
    )
    .use(
      reviewApi({
        ...clipDeps,
        list: (q) => rt.reviewStore.list(q),
        get: (id, user) => rt.reviewStore.get(id, user),
        markReviewed: (ids, user, reviewed) => rt.reviewStore.markReviewed(ids, user, reviewed),
        setKeep: (id, keep) => rt.reviewStore.setKeep(id, keep),
        baseUrl,
      }),
    )
    .use(notifyApi(rt.notify))
    .use(classifiersApi({ ...rt.classifiers, authRequired: c.auth }))
    .use(eventsApi(rt.db, baseUrl, c.auth, (viewer) => rt.runs.hidden(viewer)))
    .use(publishApi(rt))
    .use(syncApi(rt))
    .use(fleetApi(opts.fleet ?? null))
    .use(backupApi(rt.backups))
    .use(
      systemApi({
        stateDir: rt.config.state_dir,
        problems: recentProblems,
        readsLog: (req) => !c.auth || (identityOf(req)?.scopes.includes('users:admin') ?? false),
      }),
    )
    .use(
      wsApi({
        hub: rt.hub,
        leases: rt.sockets,
        // A socket's caller sees the runs they may see: other users' private runs are left out.
        sees: (req) => {
          const viewer = viewerOf(req, c.auth);
          return (stream) => !stream.startsWith('run:') || rt.runs.visibleTo(stream.slice('run:'.length), viewer);
        },
      }),
    )
    .use(
      liveApi({
        live: rt.live,
        streams: rt.streams,
        leases: rt.sockets,
        enabled: c.live_video.max_viewers_per_stream > 0,
      }),
    );
}

export type App = ReturnType<typeof createApp>;
