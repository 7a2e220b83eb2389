/** @module The GPU providers' options from the config: the device, and TensorRT's engines in the state dir. */
import type { Config } from '../config/schema';
import type { Paths } from '../config/paths';
import type { GpuOptions } from '../inference/onnx';

export const gpuOptionsOf = (config: Config, paths: Pick<Paths, 'trtCache'>): GpuOptions => ({
  deviceId: config.models.gpu.device_id,
  fp16: config.models.gpu.tensorrt_fp16,
  workspaceMb: config.models.gpu.tensorrt_workspace_mb,
  cacheDir: paths.trtCache,
});
