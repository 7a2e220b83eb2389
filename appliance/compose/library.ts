/**
 * @module The photo library's half of the appliance: the object store, the embedding model (pulled
 * and checked by the fetcher), the vector index, the users (for quotas), sync's queue and the image
 * service on top. The running box opens it inside its runtime; `fovea images import` opens it alone
 * on a stopped box, so an import there stores, embeds, indexes and queues for the bucket exactly
 * as the API would.
 */
import type { InferenceObserver } from '../inference/onnx';
import { openEmbedder } from './gpu';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { Config } from '../config/schema';
import { modelMirror, pathsOf } from '../config/paths';
import type { Db } from '../store/duckdb';
import { LocalObjectStore } from '../objects/local';
import { builtinCatalog, findModel, type Catalog } from '../models/catalog';
import type { InferenceSession } from '../inference/onnx';
import { lateEmbedder, type Embedder } from '../inference/embedder';
import { ModelFetcher, pullState } from '../models/fetcher';
import { sharpImaging } from '../imaging/sharp';
import { SearchIndex } from '../search/service';
import { ImageService } from '../images/service';
import type { Logger } from '../shared/log';
import { realTimers } from '../shared/timers';
import { S3Bucket } from '../objects/s3';
import { SyncWorker } from '../sync/worker';
import { SyncQueue } from '../sync/service';
import { Retention } from '../sync/retention';
import { Exporter } from '../sync/export';
import { RemoteDeleter } from '../sync/deleter';
import { AppError } from '../shared/errors';
import { quotaOf, Users } from '../auth/users';

export interface Library {
  objects: LocalObjectStore;
  catalog: Catalog;
  fetcher: ModelFetcher;
  embedder: Embedder;
  index: SearchIndex;
  sync: ReturnType<typeof openSync>;
  users: Users;
  images: ImageService;
  device: string;
  /** Resolves once the embedding model is open (pulled first if the box has not got it yet). */
  ready(): Promise<void>;
  /** Flush the index and pending inserts, stop the fetcher, close the model and the bucket client. */
  close(): Promise<void>;
}

/** A file the config names (a CA, a certificate), read once at start; one that cannot be read is a config error. */
export async function configFile(pointer: string, path: string): Promise<Buffer> {
  try {
    return Buffer.from(await Bun.file(path).arrayBuffer());
  } catch (e) {
    throw new AppError('config_invalid', `${pointer}: cannot read ${path}: ${(e as Error).message}`);
  }
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
    offlineProbeMaxS: c.offline_probe_max_s,
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
    { db, bucket, prefix: c.prefix, device, log: log.child({ mod: 'export' }), settleMs: c.export_settle_s * 1000 },
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

export async function openLibrary(config: Config, db: Db, log: Logger, observe: InferenceObserver): Promise<Library> {
  const paths = pathsOf(config);
  let session: InferenceSession | null = null;
  try {
    return await open();
  } catch (e) {
    await (session as InferenceSession | null)?.close();
    throw e;
  }
  async function open(): Promise<Library> {
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
      const opened = await openEmbedder(config, paths, model, log.child({ mod: 'inference' }), observe);
      session = opened.session;
      late.set(opened.embedder);
    };
    let opened: Promise<void>;
    if (await fetcher.verified(config.models.embed)) {
      await loadEmbedder();
      opened = Promise.resolve();
    } else {
      opened = fetcher.ready(config.models.embed).then(loadEmbedder);
      opened.catch((e: unknown) => log.error('the embedding model could not be opened', { error: e }));
    }
    const indexPath = join(paths.index, `${embedder.modelRef.replace(/[^a-z0-9.-]/gi, '_')}.usearch`);
    const index = await SearchIndex.open(
      db,
      embedder.modelRef,
      {
        dims: embedder.dims,
        connectivity: config.search.connectivity,
        expansionAdd: config.search.expansion_add,
        expansionSearch: config.search.expansion_search,
        quantization: config.search.quantization,
        rerankCandidates: config.search.rerank_candidates,
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
    return {
      objects,
      catalog,
      fetcher,
      embedder,
      index,
      sync,
      users,
      images,
      device,
      ready: () => opened,
      async close() {
        await images.close();
        await index.close();
        sync?.bucket.close();
        fetcher.stop();
        await session?.close();
      },
    };
  }
}
