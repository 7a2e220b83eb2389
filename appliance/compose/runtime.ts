/**
 * @module Builds the running appliance from a config: opens the store (migrating it), the photo
 * library (object store, embedding model, vector index: compose/library), and the services on
 * top. main.ts and the tests both start the appliance through here, so what is tested is what runs.
 */
import { DoorLimits } from '../auth/limits';
import { SocketLeases } from '../api/socket-leases';
import type { InferenceObserver } from '../inference/onnx';
import { modelPoolOf } from './gpu';
import { mkdir } from 'node:fs/promises';
import type { Config } from '../config/schema';
import { pathsOf, type Paths } from '../config/paths';
import { Db } from '../store/duckdb';
import { migrate } from '../store/migrate';
import type { LocalObjectStore } from '../objects/local';
import type { Catalog } from '../models/catalog';
import type { Embedder } from '../inference/embedder';
import type { ModelFetcher } from '../models/fetcher';
import { sharpImaging } from '../imaging/sharp';
import type { Imaging } from '../imaging/port';
import type { SearchIndex } from '../search/service';
import type { ImageService } from '../images/service';
import { KeyFile } from '../auth/keys';
import type { Logger } from '../shared/log';
import type { ModelPool } from '../pipeline/models';
import { DuckDbSink, eventsAfter, seqOfEvent } from '../store/results';
import { snapshotter } from '../pipeline/snapshots';
import type { SnapshotPort } from '../pipeline/types';
import { Streams } from '../ingest/streams';
import { ffmpegFilters, spawnFfmpeg } from '../decode/ffmpeg';
import { every, realTimers } from '../shared/timers';
import { Outbox } from '../store/outbox';
import { MqttPublisher } from '../publish/mqtt';
import { Shadows } from '../shadow/service';
import { shadowSummary } from '../shadow/summary';
import { ShadowSink } from '../store/shadow';
import { topics } from '../publish/topics';
import { startStats } from '../publish/stats';
import { WsHub } from '../publish/ws-hub';
import { LiveVideo } from '../ingest/live-video';
import { probeDurationS, spawnRemux } from '../decode/remux';
import { fanout } from '../publish/port';
import { JwtVerifier } from '../auth/jwt';
import { WebhookWorker } from '../publish/webhooks';
import type { S3Bucket } from '../objects/s3';
import type { SyncWorker } from '../sync/worker';
import type { SyncQueue } from '../sync/service';
import type { Retention } from '../sync/retention';
import type { Exporter } from '../sync/export';
import type { RemoteDeleter } from '../sync/deleter';
import { AppError } from '../shared/errors';
import { urlHost } from '../shared/url';
import { Metrics } from '../metrics/prom';
import { Backups } from '../backup/service';
import type { Users } from '../auth/users';
import { Sessions } from '../auth/sessions';
import { AccessTokens } from '../auth/jwt';
import { Authenticator } from '../auth/identity';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { openRuns, type OpenedRuns } from './runs';
import { configFile, openLibrary, type Library } from './library';
import { basisOf } from '../analytics/model';
import { Analytics } from '../analytics/service';
import { runsExisting } from '../store/runs';
import { RunWatchers } from '../grpc/watchers';
import type { RunService } from '../runs/service';
import type { RunExecutor } from '../runs/executor';
import { RecordingStore, ReviewStore } from '../store/recordings';
import { Recordings } from '../record/service';
import { ClipArchive } from '../record/archive';
import { join } from 'node:path';
import { Reviews } from '../review/service';
import { NotifyStore } from '../store/notify';
import { clockOf, localMinuteOf, Notifier } from '../notify/service';
import { vapidKeys } from '../notify/keys';
import { ThumbLinks } from '../notify/links';
import { homeAssistantOf } from './homeassistant';
import { classifiersOf, inboxOf } from './classifiers';
import type { Classifiers } from '../classifiers/service';
import type { ClassifierStore } from '../store/classifiers';
import { sendPush } from '../notify/webpush';
import { probeSegment, spawnCopy, spawnPlayback } from '../decode/copy';
import { reviewMessage } from '../publish/topics';

/** How often an open WebSocket's credential is checked again. */
const SOCKET_RECHECK_MS = 2000;

export interface Runtime {
  config: Config;
  paths: Paths;
  db: Db;
  objects: LocalObjectStore;
  catalog: Catalog;
  embedder: Embedder;
  fetcher: ModelFetcher;
  imaging: Imaging;
  index: SearchIndex;
  images: ImageService;
  keys: KeyFile;
  users: Users;
  sessions: Sessions;
  access: AccessTokens;
  auth: Authenticator;
  models: ModelPool;
  sink: DuckDbSink;
  streams: Streams;
  /** The shadow pipelines beside live streams (stream config `shadow`). */
  shadows: Shadows;
  mqtt: MqttPublisher | null;
  hub: WsHub;
  live: LiveVideo;
  webhooks: WebhookWorker[];
  sync: {
    bucket: S3Bucket;
    worker: SyncWorker;
    queue: SyncQueue;
    retention: Retention;
    exporter: Exporter;
    /** Deletes of the objects of deleted images (null with sync.keep_remote_on_delete). */
    deleter: RemoteDeleter | null;
  } | null;
  jwt: JwtVerifier | null;
  metrics: Metrics;
  backups: Backups;
  runs: RunService;
  runQueue: RunExecutor;
  analytics: Analytics;
  /** The rate limits every door shares (HTTP, WebSocket, gRPC). */
  limits: DoorLimits;
  /** Open WebSockets held to their credentials (checked again every 2 s). */
  sockets: SocketLeases;
  /** Who follows which run over gRPC (fed by the run queue like the WebSocket hub). */
  runWatchers: RunWatchers;
  detectOnce: OpenedRuns['detect'];
  /** Recording by stream copy, its index and clips. */
  recordings: Recordings;
  /** Review items as the frames of the streams make them. */
  reviews: Reviews;
  reviewStore: ReviewStore;
  /** Browsers' push subscriptions, and what sends to them (null: web push is off). */
  notifyStore: NotifyStore;
  notifier: Notifier | null;
  /** Classifiers trained on the box, and their examples. */
  classifiers: Classifiers;
  classifierStore: ClassifierStore;
  /** Frames kept as snapshot images (events, review thumbnails, the inbox, frames labelled from Live). */
  snapshots: SnapshotPort;
  /** The signed thumbnail links pushes carry. */
  thumbLinks: ThumbLinks;
  /** The VAPID public key browsers subscribe with (null: web push is off). */
  vapidPublicKey: string | null;
  /** This box's name in the fleet (device_id, or the host name). */
  device: string;
  startedAt: Date;
  close(): Promise<void>;
}

/** Web push to subscribed browsers, with the box's VAPID keys (made at the first start), or null when off. */
async function notifierOf(
  config: Config,
  state: string,
  store: NotifyStore,
  links: ThumbLinks,
  log: Logger,
): Promise<{ notifier: Notifier; publicKey: string } | { notifier: null; publicKey: null }> {
  const wp = config.notify.web_push;
  if (!wp.enabled) return { notifier: null, publicKey: null };
  const vapid = await vapidKeys(join(state, 'notify', 'vapid.json'));
  const notifier = new Notifier({
    store,
    send: (target, payload) =>
      sendPush(target, payload, {
        vapid,
        subject: wp.subject,
        ttlS: wp.ttl_s,
        urgency: 'high',
        timeoutMs: wp.timeout_ms,
      }),
    now: Date.now,
    localMinute: localMinuteOf,
    timeOf: clockOf,
    base: `${config.api.base_path.replace(/\/$/, '')}/`,
    thumb: (image, now) => links.path(image, now),
    // Every signed-in role may see every stream's review items.
    canSee: () => true,
    log,
  });
  return { notifier, publicKey: vapid.publicKey };
}

/** The box's own token-signing secret: 32 random bytes in a 0600 file, made at the first start. */
async function boxSecret(path: string): Promise<Uint8Array> {
  const f = Bun.file(path);
  if (await f.exists()) return new Uint8Array(await f.arrayBuffer());
  const secret = randomBytes(32);
  await writeFile(path, secret, { mode: 0o600, flag: 'wx' }).catch(async (e) => {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  });
  return new Uint8Array(await Bun.file(path).arrayBuffer());
}

/** The mqtts files named in the config. */
async function mqttTls(m: Config['mqtt']): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer }> {
  const read = (key: 'ca_file' | 'cert_file' | 'key_file') => (m[key] ? configFile(`/mqtt/${key}`, m[key]) : undefined);
  const [ca, cert, key] = [await read('ca_file'), await read('cert_file'), await read('key_file')];
  if (!cert !== !key) throw new AppError('config_invalid', '/mqtt: cert_file and key_file go together');
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

async function openWebhooks(config: Config, db: Db, sink: DuckDbSink, log: Logger): Promise<WebhookWorker[]> {
  const names = config.webhooks.map((w) => w.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new AppError('config_invalid', `/webhooks: the name ${dup} is used twice`);
  const a = config.api;
  const base = a.public_url.replace(/\/$/, '') || `http://${urlHost(a.host)}:${a.port}`;
  const workers: WebhookWorker[] = [];
  for (const w of config.webhooks) {
    workers.push(
      (
        await WebhookWorker.open(w, {
          db,
          committedSeq: () => sink.committedSeq,
          base,
          log: log.child({ mod: 'webhooks' }),
        })
      ).start(),
    );
  }
  return workers;
}

export async function openDb(config: Config, log: Logger): Promise<Db> {
  const paths = pathsOf(config);
  await mkdir(paths.state, { recursive: true });
  const db = await Db.open(paths.db);
  const applied = await migrate(db);
  if (applied.length) log.info('database migrated', { applied });
  return db;
}

export interface RuntimeOptions {
  /** Process-wide metrics (they outlive an in-process restart); a runtime of its own when absent. */
  metrics?: Metrics;
  /** The config file the box was started with (copied into backups). */
  configFile?: string | null;
}

export async function openRuntime(config: Config, log: Logger, opts: RuntimeOptions = {}): Promise<Runtime> {
  const metrics = opts.metrics ?? new Metrics();
  const observe: InferenceObserver = (model, provider, s) => metrics.observeInference(model, provider, s);
  const paths = pathsOf(config);
  const db = await openDb(config, log.child({ mod: 'store' }));
  let library: Library | null = null;
  try {
    library = await openLibrary(config, db, log, observe);
    const { objects, catalog, fetcher, embedder, index, sync, users, images, device } = library;
    if (sync) {
      const queued = await sync.queue.backfill();
      if (queued) log.info('sync: queued images stored before sync was on', { images: queued });
      sync.worker.start();
      sync.deleter?.start();
      sync.retention.start();
      sync.exporter.start();
    }
    const keys = new KeyFile(paths.keys);
    const models = modelPoolOf(config, paths, catalog, log.child({ mod: 'inference' }), observe);
    const basis = basisOf(config.analytics);
    const sink = await DuckDbSink.open(db);
    const m = config.mqtt;
    const mqttPub = m.url
      ? new MqttPublisher(
          {
            url: m.url,
            clientId: m.client_id || `fovea-${device}`,
            username: m.username,
            password: m.password,
            availableTopic: topics(m.topic_prefix, device).available,
            qos: m.qos,
            tls: await mqttTls(m),
          },
          await Outbox.open(db, { maxMessages: m.outbox_max_messages, maxBytes: m.outbox_max_bytes }),
          log.child({ mod: 'publish' }),
          topics(m.topic_prefix, device),
        )
      : null;
    const ws = config.api.ws;
    const hub = new WsHub({
      replay: (after, sel, limit) => eventsAfter(db, after, sel, limit),
      seqOf: (id) => seqOfEvent(db, id),
      committedSeq: () => sink.committedSeq,
      maxBufferBytes: ws.max_buffer_bytes,
      maxClients: ws.max_clients,
      log: log.child({ mod: 'ws' }),
    });
    sink.onCommitted((rows) => hub.events(rows));
    const live = new LiveVideo({
      spawn: spawnRemux,
      probeDurationS,
      timers: realTimers,
      log: log.child({ mod: 'live' }),
      maxViewersPerStream: config.api.live_video.max_viewers_per_stream,
      maxBufferBytes: config.api.live_video.max_buffer_bytes,
      idleStopMs: 2000,
      fragmentMs: 200,
    });
    const webhooks = await openWebhooks(config, db, sink, log);
    sink.onCommitted(() => {
      for (const w of webhooks) w.kick();
    });
    const heartbeat = every(realTimers, () => hub.heartbeat(), ws.ping_interval_s * 1000);
    const jwt = await JwtVerifier.create(config.api.jwt);
    const sessions = new Sessions(
      paths.sessions,
      config.api.login.refresh_ttl_s,
      Date.now,
      config.api.login.refresh_reuse_grace_s,
    );
    const secret = await boxSecret(paths.authSecret);
    const access = new AccessTokens(secret, config.api.login.access_ttl_s);
    // A push's thumbnail link lasts as long as the push service keeps the push, and an hour to look.
    const thumbLinks = new ThumbLinks(secret, config.notify.web_push.ttl_s + 3600);
    const auth = new Authenticator({ keys, users, access, external: jwt });
    const limits = new DoorLimits({
      clients: config.api.rate_limit_per_minute,
      people: config.api.people_rate_limit_per_minute,
    });
    const sockets = new SocketLeases((tok) => auth.identify(tok), realTimers, SOCKET_RECHECK_MS);
    const shadows = new Shadows({
      models,
      imaging: sharpImaging,
      sinkFor: (pipeline) => new ShadowSink(db, pipeline),
      timers: realTimers,
      log: log.child({ mod: 'shadow' }),
      windowClosed: () => {
        if (!mqttPub) return;
        void mqttPub
          .publish({
            topic: mqttPub.topics.shadow,
            payload: JSON.stringify(shadowSummary(shadows.list())),
            qos: 1,
            retain: true,
            kind: 'state',
          })
          .catch(() => undefined);
      },
    });
    const { store: classifierStore, service: classifiers } = classifiersOf({
      db,
      catalog,
      embedder,
      dir: paths.classifiers,
    });
    const snapshots = snapshotter(images, sharpImaging);
    const streams = new Streams({
      inbox: inboxOf(snapshots, classifierStore),
      shadows,
      pipelinesDir: paths.pipelines,
      models,
      fetcher,
      sink,
      snapshots,
      imaging: sharpImaging,
      publisher: fanout([mqttPub, hub]),
      spawn: spawnFfmpeg,
      gpuScale: (await ffmpegFilters()).has('scale_cuda'),
      pictureWidth: config.snapshots.max_width,
      timers: realTimers,
      log: log.child({ mod: 'ingest' }),
    });
    // Home Assistant's discovery and states, over the box's MQTT (none without a broker).
    const ha = mqttPub
      ? homeAssistantOf(config, {
          mqtt: mqttPub,
          streams,
          images,
          state: paths.state,
          device,
          log: log.child({ mod: 'homeassistant' }),
        })
      : null;
    const reviewStore = new ReviewStore(db);
    const notifyStore = new NotifyStore(db);
    const { notifier, publicKey: vapidPublicKey } = await notifierOf(
      config,
      paths.state,
      notifyStore,
      thumbLinks,
      log.child({ mod: 'notify' }),
    );
    // One review change at a time to the notifier, so two quick updates of an item cannot both pass its checks.
    let notifying: Promise<void> = Promise.resolve();
    const reviews = new Reviews({
      put: (it) => reviewStore.put(it),
      endOpen: () => reviewStore.endOpen(),
      tell: (msg) => {
        hub.review(msg);
        if (mqttPub) void mqttPub.publish(reviewMessage(mqttPub.topics, msg, m.qos)).catch(() => undefined);
        ha?.review(msg);
        if (notifier)
          notifying = notifying.then(() => notifier.review(msg)).catch((e) => log.warn('notify failed', { error: e }));
      },
      snapshots,
      watch: (id, fn) => streams.watch(id, fn),
      timers: realTimers,
      log: log.child({ mod: 'review' }),
    });
    await reviews.start(config.streams);
    const segmentIndex = new RecordingStore(db);
    const archive = sync
      ? new ClipArchive({
          streams: () =>
            recordings
              .recorded()
              .map((s) => ({ id: s.id, upload: s.record.upload, preS: s.record.pre_s, postS: s.record.post_s })),
          clipless: (stream, severities, limit) => reviewStore.clipless(stream, severities, limit),
          clip: (stream, start, end) => recordings.clip(stream, start, end),
          indexedUntil: (stream) => segmentIndex.lastEnd(stream),
          keep: async (item, stream, path, at) => {
            const o = await objects.put(new Uint8Array(await Bun.file(path).arrayBuffer()), 'mp4');
            await db.transaction(async (tx) => {
              await sync.queue.enqueue(tx, [{ key: o.key, size: o.size, origin: 'clip', meta: { stream, item }, at }]);
              await reviewStore.setClip(tx, item, o.key);
            });
            sync.queue.committed();
          },
          now: Date.now,
          log: log.child({ mod: 'record' }),
        })
      : null;
    const recordings: Recordings = new Recordings({
      dir: paths.recordings,
      index: segmentIndex,
      archive,
      spans: () => reviewStore.spans(),
      spawn: spawnCopy,
      play: spawnPlayback,
      probe: probeSegment,
      minFreeBytes: config.recordings.min_free_mb * 1024 * 1024,
      intervalS: config.recordings.check_interval_s,
      revision: () => streams.revision,
      timers: realTimers,
      log: log.child({ mod: 'record' }),
    });
    await recordings.start(config.streams);
    const runWatchers = new RunWatchers();
    const runs = await openRuns({
      config,
      paths,
      db,
      models,
      sink,
      images,
      imaging: sharpImaging,
      publisher: fanout([mqttPub, hub]),
      snapshots,
      reporters: [hub, mqttPub, runWatchers],
      streams,
      log,
    });
    const analytics = await new Analytics({
      db,
      basis,
      refreshS: config.analytics.refresh_s,
      log: log.child({ mod: 'analytics' }),
      streams: () => streams.list().map((s) => s.id),
      runsExisting: (ids) => runsExisting(db, ids),
    }).start();
    const startedAt = new Date();
    const b = config.backup;
    const backups = new Backups(
      {
        db,
        index,
        extraFiles: [paths.users, paths.keys, ...(opts.configFile ? [opts.configFile] : [])],
        device,
        revision: () => streams.revision,
        bucket: sync ? { bucket: sync.bucket, prefix: config.sync.prefix } : null,
      },
      { dir: paths.backups, at: b.at, keep: b.keep, schedule: b.schedule },
      log.child({ mod: 'backup' }),
    );
    backups.start();
    const stats = mqttPub
      ? startStats(
          mqttPub,
          {
            streams: () => streams.list(),
            outbox: () => {
              const st = mqttPub.status();
              return {
                depth: st.outbox_depth,
                bytes: st.outbox_bytes,
                oldest_age_s: st.outbox_oldest_age_s,
                dropped_frames: st.dropped_frames,
              };
            },
            uptimeS: () => Math.round((Date.now() - startedAt.getTime()) / 1000),
          },
          m.stats_interval_s,
          realTimers,
        )
      : null;
    return {
      fetcher,
      config,
      imaging: sharpImaging,
      paths,
      db,
      objects,
      catalog,
      embedder,
      index,
      images,
      keys,
      users,
      sessions,
      access,
      auth,
      limits,
      sockets,
      models,
      sink,
      streams,
      shadows,
      mqtt: mqttPub,
      hub,
      live,
      webhooks,
      sync,
      jwt,
      metrics,
      backups,
      runs: runs.service,
      runQueue: runs.executor,
      analytics,
      runWatchers,
      detectOnce: runs.detect,
      recordings,
      reviews,
      reviewStore,
      notifyStore,
      notifier,
      classifiers,
      classifierStore,
      snapshots,
      thumbLinks,
      vapidPublicKey,
      device,
      startedAt,
      async close() {
        stats?.stop();
        // A run in the middle of an item is marked interrupted; it resumes at the next start.
        await runs.executor.stop();
        await analytics.stop();
        await backups.stop();
        // Uploads in flight are aborted; they start again after the next start (same keys).
        await sync?.retention.stop();
        await sync?.exporter.stop();
        await sync?.deleter?.stop();
        await sync?.worker.stop();
        // In-flight deliveries are aborted; their events are delivered after the next start.
        await Promise.all(webhooks.map((w) => w.stop()));
        live.stop();
        await streams.stop();
        await reviews.stop();
        await recordings.stop();
        heartbeat.stop();
        sockets.stop();
        await sink.flush();
        hub.shutdown();
        await ha?.close();
        await mqttPub?.close();
        await models.close();
        await library?.close();
        await db.checkpoint().catch(() => undefined);
        db.close();
      },
    };
  } catch (e) {
    await (library as Library | null)?.close();
    db.close();
    throw e;
  }
}
