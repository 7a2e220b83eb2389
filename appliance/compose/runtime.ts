/**
 * @module Builds the running appliance from a config: opens the store (migrating it), the object
 * store, the embedding model and the vector index, and the services on top. main.ts and the tests
 * both start the appliance through here, so what is tested is what runs.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Config } from '../config/schema';
import { modelMirror, pathsOf, type Paths } from '../config/paths';
import { Db } from '../store/duckdb';
import { migrate } from '../store/migrate';
import { LocalObjectStore } from '../objects/local';
import { builtinCatalog, findModel, type Catalog } from '../models/catalog';
import { openSession, type InferenceSession } from '../inference/onnx';
import { createEmbedder, lateEmbedder, type Embedder } from '../inference/embedder';
import { ModelFetcher, pullState } from '../models/fetcher';
import { sharpImaging } from '../imaging/sharp';
import type { Imaging } from '../imaging/port';
import { SearchIndex } from '../search/service';
import { ImageService } from '../images/service';
import { KeyFile } from '../auth/keys';
import type { Logger } from '../shared/log';
import { ModelPool } from '../pipeline/models';
import { DuckDbSink, eventsAfter, seqOfEvent } from '../store/results';
import { snapshotter } from '../pipeline/snapshots';
import { Streams } from '../ingest/streams';
import { spawnFfmpeg } from '../decode/ffmpeg';
import { every, realTimers } from '../shared/timers';
import { hostname } from 'node:os';
import { Outbox } from '../store/outbox';
import { MqttPublisher } from '../publish/mqtt';
import { topics } from '../publish/topics';
import { startStats } from '../publish/stats';
import { WsHub } from '../publish/ws-hub';
import { LiveVideo } from '../ingest/live-video';
import { probeDurationS, spawnRemux } from '../decode/remux';
import { fanout } from '../publish/port';
import { JwtVerifier } from '../auth/jwt';
import { WebhookWorker } from '../publish/webhooks';
import { S3Bucket } from '../objects/s3';
import { SyncWorker } from '../sync/worker';
import { SyncQueue } from '../sync/service';
import { Retention } from '../sync/retention';
import { Exporter } from '../sync/export';
import { RemoteDeleter } from '../sync/deleter';
import { AppError } from '../shared/errors';
import { urlHost } from '../shared/url';
import { Metrics } from '../metrics/prom';
import { Backups } from '../backup/service';
import { quotaOf, Users } from '../auth/users';
import { Sessions } from '../auth/sessions';
import { AccessTokens } from '../auth/jwt';
import { Authenticator } from '../auth/identity';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { openRuns, type OpenedRuns } from './runs';
import { basisOf } from '../analytics/model';
import { Analytics } from '../analytics/service';
import { runsExisting } from '../store/runs';
import { RunWatchers } from '../grpc/watchers';
import type { RunService } from '../runs/service';
import type { RunExecutor } from '../runs/executor';

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
  /** Who follows which run over gRPC (fed by the run queue like the WebSocket hub). */
  runWatchers: RunWatchers;
  detectOnce: OpenedRuns['detect'];
  startedAt: Date;
  close(): Promise<void>;
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

/** A file the config names (a CA, a certificate), read once at start; one that cannot be read is a config error. */
async function configFile(pointer: string, path: string): Promise<Buffer> {
  try {
    return Buffer.from(await Bun.file(path).arrayBuffer());
  } catch (e) {
    throw new AppError('config_invalid', `${pointer}: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** The mqtts files named in the config. */
async function mqttTls(m: Config['mqtt']): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer }> {
  const read = (key: 'ca_file' | 'cert_file' | 'key_file') => (m[key] ? configFile(`/mqtt/${key}`, m[key]) : undefined);
  const [ca, cert, key] = [await read('ca_file'), await read('cert_file'), await read('key_file')];
  if (!cert !== !key) throw new AppError('config_invalid', '/mqtt: cert_file and key_file go together');
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

function openSync(
  config: Config,
  db: Db,
  objects: LocalObjectStore,
  device: string,
  log: Logger,
  ca: Uint8Array | null,
) {
  const c = config.sync;
  if (!c.bucket) return null;
  const bucket = new S3Bucket({ ...c, ca });
  const worker = new SyncWorker({
    db,
    bucket,
    pathOf: (k) => objects.pathOf(k),
    concurrency: c.concurrency,
    log: log.child({ mod: 'sync' }),
  });
  const r = c.retention;
  const retention = new Retention({
    db,
    stateDir: pathsOf(config).state,
    pathOf: (k) => objects.pathOf(k),
    budget: { max_bytes: r.max_bytes, max_disk_percent: r.max_disk_percent },
    intervalS: r.check_interval_s,
    log: log.child({ mod: 'retention' }),
  });
  const exporter = new Exporter(
    { db, bucket, prefix: c.prefix, device, log: log.child({ mod: 'export' }) },
    c.export_interval_s,
  );
  const deleter = c.keep_remote_on_delete
    ? null
    : new RemoteDeleter({ db, bucket, uploading: (k) => worker.uploading(k), log: log.child({ mod: 'sync' }) });
  return {
    bucket,
    worker,
    retention,
    exporter,
    deleter,
    queue: new SyncQueue(
      db,
      c.prefix,
      device,
      worker,
      bucket,
      c.presign_expiry_s,
      () => retention.state === 'over_budget',
      deleter,
    ),
  };
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
  const observe = (model: string, s: number) => metrics.observeInference(model, s);
  const paths = pathsOf(config);
  const db = await openDb(config, log.child({ mod: 'store' }));
  let session: InferenceSession | null = null;
  try {
    const objects = new LocalObjectStore(paths.objects);
    const catalog = builtinCatalog();
    const model = findModel(catalog, config.models.embed);
    // First run: what the config uses is pulled in the background while the box serves.
    const fetcher = new ModelFetcher({
      catalog,
      dir: paths.models,
      mirror: modelMirror(config),
      upstream: config.models.upstream,
      timers: realTimers,
      log: log.child({ mod: 'models' }),
    });
    const late = lateEmbedder(model, () => pullState(fetcher.state(config.models.embed)));
    const embedder = late.embedder;
    // Opened once the fetcher has checked the file's sha256 (in place, or just pulled).
    const loadEmbedder = async () => {
      session = await openSession(join(paths.models, model.file), {
        providers: config.models.providers,
        threads: config.models.threads,
        log: log.child({ mod: 'inference' }),
        ref: config.models.embed,
        observe,
      });
      late.set(
        createEmbedder(model, session, (d, s, w, h) => sharpImaging.centerCropRgb(d, s, w, h, config.api.max_pixels)),
      );
    };
    if (await fetcher.verified(config.models.embed)) await loadEmbedder();
    else
      void fetcher
        .ready(config.models.embed)
        .then(loadEmbedder)
        .catch((e: unknown) => log.error('the embedding model could not be opened', { error: e }));
    const indexPath = join(paths.index, `${embedder.modelRef.replace(/[^a-z0-9.-]/gi, '_')}.usearch`);
    const index = await SearchIndex.open(
      db,
      embedder.modelRef,
      {
        dims: embedder.dims,
        connectivity: config.search.connectivity,
        expansionAdd: config.search.expansion_add,
        expansionSearch: config.search.expansion_search,
      },
      indexPath,
      log.child({ mod: 'search' }),
    );
    const device = config.device_id || hostname();
    const c = config.sync;
    const sync = openSync(
      config,
      db,
      objects,
      device,
      log,
      c.bucket && c.ca_file ? await configFile('/sync/ca_file', c.ca_file) : null,
    );
    const users = new Users(paths.users);
    const images = new ImageService(
      db,
      objects,
      embedder,
      index,
      sharpImaging,
      {
        maxPixels: config.api.max_pixels,
        thumbSize: 256,
        previewSize: 1280,
        quotaOf: (owner) => quotaOf(users.byId(owner), config.images.quota_bytes),
        stripGps: config.images.strip_gps,
      },
      log.child({ mod: 'images' }),
      sync?.queue ?? null,
    );
    if (sync) {
      const queued = await sync.queue.backfill();
      if (queued) log.info('sync: queued images stored before sync was on', { images: queued });
      sync.worker.start();
      sync.deleter?.start();
      sync.retention.start();
      sync.exporter.start();
    }
    const keys = new KeyFile(paths.keys);
    const models = new ModelPool({
      catalog,
      dir: paths.models,
      providers: config.models.providers,
      threads: config.models.threads,
      log: log.child({ mod: 'inference' }),
      observe,
    });
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
    const sessions = new Sessions(paths.sessions, config.api.login.refresh_ttl_s);
    const access = new AccessTokens(await boxSecret(paths.authSecret), config.api.login.access_ttl_s);
    const auth = new Authenticator({ keys, users, access, external: jwt });
    const streams = new Streams({
      pipelinesDir: paths.pipelines,
      models,
      fetcher,
      sink,
      snapshots: snapshotter(images, sharpImaging),
      imaging: sharpImaging,
      publisher: fanout([mqttPub, hub]),
      spawn: spawnFfmpeg,
      timers: realTimers,
      log: log.child({ mod: 'ingest' }),
    });
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
      snapshots: snapshotter(images, sharpImaging),
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
        bucket: sync ? { bucket: sync.bucket, prefix: c.prefix } : null,
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
      models,
      sink,
      streams,
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
        sync?.bucket.close();
        // In-flight deliveries are aborted; their events are delivered after the next start.
        await Promise.all(webhooks.map((w) => w.stop()));
        live.stop();
        await streams.stop();
        heartbeat.stop();
        await sink.flush();
        hub.shutdown();
        await mqttPub?.close();
        await models.close();
        await images.close();
        await db.checkpoint().catch(() => undefined);
        db.close();
        fetcher.stop();
        await session?.close();
      },
    };
  } catch (e) {
    await (session as InferenceSession | null)?.close();
    db.close();
    throw e;
  }
}
