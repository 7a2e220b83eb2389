/**
 * @module The HTTP side of a runtime: the metrics bound to its state, the API application built
 * from its services, and the listener (TLS from cert and key files, reloaded when they change).
 */
import { stat } from 'node:fs/promises';
import type { Runtime } from './runtime';
import { createApp } from '../api/app';
import { exampleSources, pictureEmbedder } from './classifiers';
import { uiBundle } from '../ui/assets';
import type { FleetControl } from '../api/fleet';
import { readPair, watchPair, type TlsPair } from '../api/tls';
import { localBytes } from '../store/sync-objects';
import type { Logger } from '../shared/log';
import { openNvml, type Gpus } from '../gpu/nvml';
import { VERSION } from '../shared/version';
import { urlHost } from '../shared/url';
import { AppError } from '../shared/errors';
import { startGrpc, type GrpcServer } from '../grpc/server';

/** What a server may have beyond the runtime: the fleet agent's API, a listen port other than the config's. */
export interface ServerExtras {
  fleet?: FleetControl | null;
  port?: number;
}

export interface Server {
  url: string;
  port: number;
  /** The gRPC port when grpc.enabled, else null. */
  grpcPort: number | null;
  stop: () => Promise<void>;
}

const size = (path: string) =>
  stat(path).then(
    (s) => s.size,
    () => 0,
  );

/** Point the process-wide metrics at this runtime's state (again after every in-process restart). */
function bindMetrics(rt: Runtime, fleet: FleetControl | null): void {
  rt.metrics.bind({
    streams: () => rt.streams.list(),
    mqtt: () => rt.mqtt?.status() ?? null,
    sync: async () => (rt.sync ? rt.sync.worker.status() : null),
    retention: () => rt.sync?.retention.status() ?? null,
    fleet: () => fleet?.view() ?? null,
    files: async () => ({
      db_bytes: (await size(rt.paths.db)) + (await size(`${rt.paths.db}.wal`)),
      objects_bytes: rt.sync ? await localBytes(rt.db) : 0,
    }),
    ws: () => ({ clients: rt.hub.size }),
    gpus: () => gpus().sample(),
    shadows: () => rt.shadows.list(),
    pushes: () => rt.notifier?.counts ?? null,
  });
}

/** NVML, opened once per process at the first scrape (absent on a box without the NVIDIA driver). */
let nvml: Gpus | null = null;
const gpus = (): Gpus => {
  nvml ??= openNvml();
  return nvml;
};

/** The API application over a runtime's services. */
export function appOf(rt: Runtime, log: Logger, fleet: FleetControl | null = null) {
  const { sync } = rt;
  return createApp(
    {
      ...rt,
      api: rt.config.api,
      exactBelow: rt.config.search.exact_below,
      mqttUrl: rt.config.mqtt.url,
      exportIntervalS: rt.config.sync.export_interval_s,
      remoteUrls: async (keys) => (sync ? sync.queue.urls(keys) : new Map<string, string>()),
      ui: uiBundle(),
      classifiers: {
        service: rt.classifiers,
        list: () => rt.classifierStore.list(),
        counts: (name) => rt.classifierStore.counts(name),
        examples: (name, cls, limit, offset) => rt.classifierStore.examples(name, cls, limit, offset),
        removeExample: (name, id) => rt.classifierStore.removeExample(name, id),
        inbox: (name, id) => rt.classifierStore.inbox(name, id ?? null),
        removeInbox: (name, id) => rt.classifierStore.removeInbox(name, id),
        remove: (name) => rt.classifierStore.remove(name),
        embed: pictureEmbedder(rt),
        sources: exampleSources(rt),
      },
      notify: {
        publicKey: rt.vapidPublicKey,
        list: (owner) => rt.notifyStore.list(owner),
        get: (id) => rt.notifyStore.get(id),
        subscribe: (s, id) => rt.notifyStore.subscribe(s, id),
        setPrefs: (id, owner, prefs) => rt.notifyStore.setPrefs(id, owner, prefs),
        remove: (id, owner) => rt.notifyStore.remove(id, owner),
        test: async (s) => {
          if (!rt.notifier) throw new AppError('conflict', 'web push is off on this box');
          return rt.notifier.test(s, rt.device);
        },
        linkOpens: (image, exp, sig) => rt.thumbLinks.opens(image, exp, sig, Date.now()),
        thumbnail: async (image) => rt.images.open((await rt.images.get(image)).thumb_key),
        allowLoopbackHttp: rt.config.notify.web_push.allow_loopback_http,
      },
    },
    log,
    { fleet },
  );
}

export async function startServer(rt: Runtime, log: Logger, extras: ServerExtras = {}): Promise<Server> {
  const a = rt.config.api;
  if (a.https_only && !a.tls.cert_file)
    throw new AppError('config_invalid', '/api/https_only: set api.tls.cert_file and key_file, or turn https_only off');
  const pair = a.tls.cert_file ? readPair(a.tls) : null;
  await rt.streams.start(rt.config.streams);
  bindMetrics(rt, extras.fleet ?? null);
  const app = appOf(rt, log.child({ mod: 'api' }), extras.fleet ?? null);
  const listen = (port: number, p: TlsPair | null) =>
    app.listen({ hostname: a.host, port, ...(p && { tls: { cert: p.cert, key: p.key } }) });
  try {
    listen(extras.port ?? a.port, pair);
  } catch (e) {
    await rt.streams.stop();
    throw e;
  }
  const port = app.server!.port!;
  const g = rt.config.grpc;
  let grpcServer: GrpcServer | null = null;
  try {
    grpcServer = g.enabled
      ? await startGrpc({
          host: g.host,
          port: g.port,
          authRequired: a.auth,
          identify: (tok) => rt.auth.identify(tok),
          limits: rt.limits,
          runs: rt.runs,
          watchers: rt.runWatchers,
          detect: rt.detectOnce,
          maxUploadBytes: a.max_upload_bytes,
          maxRequestBytes: rt.config.runs.max_request_bytes,
          maxFiles: rt.config.runs.max_files,
          log: log.child({ mod: 'grpc' }),
        })
      : null;
  } catch (e) {
    await app.stop();
    await rt.streams.stop();
    throw e;
  }
  const url = `${pair ? 'https' : 'http'}://${urlHost(a.host)}:${port}`;
  // A renewed certificate: the listener restarts on the same port with it (Bun cannot swap it live).
  const tlsWatch = pair
    ? watchPair(
        a.tls,
        async (p) => {
          await app.stop();
          listen(port, p);
        },
        log.child({ mod: 'api' }),
      )
    : null;
  log.info('fovea serving', {
    url,
    version: VERSION,
    state_dir: rt.paths.state,
    embed_model: rt.embedder.modelRef,
    provider: rt.embedder.provider,
    revision: rt.streams.revision,
    ...(pair && { tls: pair.subject }),
  });
  // WebSocket clients are closed first (1001): the server's stop waits for every open connection.
  return {
    url,
    port,
    grpcPort: grpcServer?.port ?? null,
    stop: async () => {
      tlsWatch?.stop();
      await grpcServer?.stop();
      rt.hub.shutdown();
      await app.stop();
      await rt.close();
    },
  };
}
