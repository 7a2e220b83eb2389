/**
 * @module Inference from the config: the GPU providers' options (the device, TensorRT's engines in
 * the state dir), the model pool every pipeline shares, and the image embedder.
 */
import type { Config } from '../config/schema';
import type { Paths } from '../config/paths';
import { join } from 'node:path';
import { openSession, type GpuOptions, type InferenceObserver, type InferenceSession } from '../inference/onnx';
import { createEmbedder, type Embedder } from '../inference/embedder';
import { sharpImaging } from '../imaging/sharp';
import type { Catalog, ModelEntry } from '../models/catalog';
import { ModelPool } from '../pipeline/models';
import type { Logger } from '../shared/log';

export const gpuOptionsOf = (config: Config, paths: Pick<Paths, 'trtCache'>): GpuOptions => ({
  deviceId: config.models.gpu.device_id,
  fp16: config.models.gpu.tensorrt_fp16,
  workspaceMb: config.models.gpu.tensorrt_workspace_mb,
  cacheDir: paths.trtCache,
});

/** The model pool of a box (or a command) with this config's models dir, providers and threads. */
export const modelPoolOf = (
  config: Config,
  paths: Pick<Paths, 'models' | 'trtCache'> & Partial<Pick<Paths, 'classifiers'>>,
  catalog: Catalog,
  log: Logger,
  observe?: InferenceObserver,
): ModelPool =>
  new ModelPool({
    catalog,
    dir: paths.models,
    heads: paths.classifiers,
    providers: config.models.providers,
    threads: config.models.threads,
    spin: config.models.spin,
    gpu: gpuOptionsOf(config, paths),
    log,
    observe,
  });

/** The config's embedding model opened on its providers, as an embedder (crops bounded by api.max_pixels). */
export async function openEmbedder(
  config: Config,
  paths: Pick<Paths, 'models' | 'trtCache'>,
  model: ModelEntry,
  log: Logger,
  observe?: InferenceObserver,
): Promise<{ session: InferenceSession; embedder: Embedder }> {
  const session = await openSession(join(paths.models, model.file), {
    providers: config.models.providers,
    threads: config.models.threads,
    spin: config.models.spin,
    gpu: gpuOptionsOf(config, paths),
    log,
    ref: config.models.embed,
    observe,
  });
  const embedder = createEmbedder(model, session, (d, s, w, h, upright) =>
    sharpImaging.centerCropRgb(d, s, w, h, config.api.max_pixels, upright),
  );
  return { session, embedder };
}
