/**
 * @module Inference from the config: the GPU providers' options (the device, TensorRT's engines in
 * the state dir) and the model pool every pipeline shares.
 */
import type { Config } from '../config/schema';
import type { Paths } from '../config/paths';
import type { GpuOptions, InferenceObserver } from '../inference/onnx';
import type { Catalog } from '../models/catalog';
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
  paths: Pick<Paths, 'models' | 'trtCache'>,
  catalog: Catalog,
  log: Logger,
  observe?: InferenceObserver,
): ModelPool =>
  new ModelPool({
    catalog,
    dir: paths.models,
    providers: config.models.providers,
    threads: config.models.threads,
    gpu: gpuOptionsOf(config, paths),
    log,
    observe,
  });
