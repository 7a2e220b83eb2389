/**
 * @module Environment variables for native libraries in this process. onnxruntime's TensorRT
 * provider takes its engine cache, FP16 and workspace settings from `ORT_TENSORRT_*` variables
 * (onnxruntime-node passes a provider nothing but its device id), and it reads them with getenv().
 * Bun's process.env is not the C environment (a value set there is not seen by getenv), so they
 * are set with libc's setenv through bun:ffi.
 */
import { dlopen, FFIType } from 'bun:ffi';

let libc: { setenv: (name: Buffer, value: Buffer, overwrite: number) => number } | null = null;

/** setenv(3) for the whole process; throws when libc refuses. */
export function setNativeEnv(name: string, value: string): void {
  libc ??= dlopen('libc.so.6', {
    setenv: { args: [FFIType.cstring, FFIType.cstring, FFIType.i32], returns: FFIType.i32 },
  }).symbols as unknown as typeof libc;
  if (libc!.setenv(Buffer.from(`${name}\0`), Buffer.from(`${value}\0`), 1) !== 0)
    throw new Error(`setenv ${name} failed`);
}

/** The TensorRT provider's settings as the variables it reads. */
export function tensorrtEnv(o: { fp16: boolean; workspaceMb: number; cacheDir: string }): Record<string, string> {
  return {
    ORT_TENSORRT_FP16_ENABLE: o.fp16 ? '1' : '0',
    ORT_TENSORRT_ENGINE_CACHE_ENABLE: '1',
    ORT_TENSORRT_CACHE_PATH: o.cacheDir,
    ORT_TENSORRT_ENGINE_CACHE_PATH: o.cacheDir,
    ...(o.workspaceMb > 0 && { ORT_TENSORRT_MAX_WORKSPACE_SIZE: String(o.workspaceMb * 1024 * 1024) }),
  };
}
