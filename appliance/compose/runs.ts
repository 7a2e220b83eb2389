/**
 * @module The runs feature wired to the box's services: the run folder, the queue executor with
 * the real stages (the model pool shared with live streams, the result sink, the library for
 * registered outputs), progress to WebSocket and MQTT, completion into the events table.
 */
import { setImageText } from '../store/images';
import type { Config } from '../config/schema';
import type { Paths } from '../config/paths';
import type { Db } from '../store/duckdb';
import type { ModelPool } from '../pipeline/models';
import type { DuckDbSink } from '../store/results';
import type { ImageService } from '../images/service';
import type { Imaging } from '../imaging/port';
import type { Publisher, RunReporter } from '../publish/port';
import type { Streams } from '../ingest/streams';
import type { SnapshotPort } from '../pipeline/types';
import type { Logger } from '../shared/log';
import { RunFiles } from '../runs/files';
import { RunExecutor } from '../runs/executor';
import { PipelineWork } from '../runs/work';
import { RunService } from '../runs/service';
import { detectOnce } from '../runs/detect';
import type { ItemOutput } from '../runs/item';
import { spawnFfmpeg } from '../decode/ffmpeg';
import { realTimers } from '../shared/timers';

export interface RunsDeps {
  config: Config;
  paths: Paths;
  db: Db;
  models: ModelPool;
  sink: DuckDbSink;
  images: ImageService;
  imaging: Imaging;
  publisher: Publisher | null;
  snapshots: SnapshotPort | null;
  reporters: Array<RunReporter | null>;
  streams: Streams;
  log: Logger;
}

export interface OpenedRuns {
  service: RunService;
  executor: RunExecutor;
  /** One image through a pipeline, now, nothing stored (gRPC Detect). */
  detect(pipeline: string, overrides: Record<string, unknown>, data: Uint8Array): Promise<ItemOutput & { ms: number }>;
}

export async function openRuns(d: RunsDeps): Promise<OpenedRuns> {
  const c = d.config.runs;
  const files = new RunFiles(d.paths.runs);
  const log = d.log.child({ mod: 'runs' });
  const work = new PipelineWork({
    catalog: d.models.catalog,
    imaging: d.imaging,
    maxPixels: d.config.api.max_pixels,
    files,
    stageDeps: (run, idx, sessionId) => ({
      models: d.models,
      sink: d.sink,
      snapshots: d.snapshots,
      imaging: d.imaging,
      publisher: d.publisher,
      outputs: files.outputs(run.id, idx),
      streamId: `run:${run.id}`,
      sessionId,
      revision: () => run.revision,
      log: log.child({ run: run.id, item: idx }),
    }),
    readImage: async (id, key) => {
      const blob = await d.images.open(key ?? (await d.images.get(id)).storage_key).catch(async () =>
        // Deleted meanwhile, or moved to the bucket by retention: the library knows.
        d.images.open((await d.images.get(id)).storage_key),
      );
      return new Uint8Array(await blob.arrayBuffer());
    },
    registerImage: async (data, meta) =>
      (
        await d.images.register({
          data,
          fileName: meta.fileName,
          name: meta.name,
          description: null,
          tags: meta.tags,
          owner: meta.owner,
          private: meta.private,
        })
      ).id,
    clip: { spawn: spawnFfmpeg, timers: realTimers, log },
    setImageText: (id, text) => setImageText(d.db, id, text),
  });
  const executor = new RunExecutor({
    db: d.db,
    work,
    reporters: d.reporters.filter((r): r is RunReporter => r !== null),
    completed: (e) => d.sink.event(e),
    concurrency: c.concurrency,
    itemConcurrency: c.item_concurrency,
    maxLogLines: c.max_log_lines,
    timers: realTimers,
    log,
  });
  const service = new RunService({
    db: d.db,
    files,
    executor,
    imaging: d.imaging,
    pipelinesDir: () => d.streams.pipelinesDir,
    revision: () => d.streams.revision,
    deleteImage: (id) => d.images.delete(id),
    reserveQuota: (owner, bytes) => d.images.reserve(owner, bytes),
    limits: { maxItems: c.max_items, maxPixels: d.config.api.max_pixels, videoDirs: c.video_dirs },
  });
  await service.load();
  await executor.resume();
  executor.start();
  const detect = (pipeline: string, overrides: Record<string, unknown>, data: Uint8Array) =>
    detectOnce(
      {
        catalog: d.models.catalog,
        imaging: d.imaging,
        maxPixels: d.config.api.max_pixels,
        pipelinesDir: () => d.streams.pipelinesDir,
        stageDeps: () => ({
          models: d.models,
          imaging: d.imaging,
          streamId: 'detect',
          sessionId: Bun.randomUUIDv7(),
          revision: () => d.streams.revision,
          log: log.child({ grpc: 'detect' }),
        }),
      },
      pipeline,
      overrides,
      data,
    );
  return { service, executor, detect };
}
