/**
 * @module What NVML writes into the caller's memory, decoded (pure; no library needed): the layouts
 * of nvml.h for the calls fovea makes. Each function takes the bytes NVML filled in.
 */

/** One GPU as the metrics show it. */
export interface GpuSample {
  index: number;
  name: string;
  /** Busy share of the last sample period, 0..1 (nvmlUtilization_t.gpu). */
  utilization: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  temperatureC: number;
  /** NVDEC busy share, 0..1, or null when the GPU does not report it. */
  decoderUtilization: number | null;
}

/** nvmlUtilization_t { unsigned int gpu; unsigned int memory; }: percentages. */
export function utilizationOf(b: Uint8Array): { gpu: number; memory: number } {
  const v = new DataView(b.buffer, b.byteOffset, 8);
  return { gpu: v.getUint32(0, true) / 100, memory: v.getUint32(4, true) / 100 };
}

/** nvmlMemory_t { unsigned long long total; unsigned long long free; unsigned long long used; }: bytes. */
export function memoryOf(b: Uint8Array): { total: number; free: number; used: number } {
  const v = new DataView(b.buffer, b.byteOffset, 24);
  return {
    total: Number(v.getBigUint64(0, true)),
    free: Number(v.getBigUint64(8, true)),
    used: Number(v.getBigUint64(16, true)),
  };
}

/** An unsigned int out-parameter (temperature in °C, decoder utilisation in %, the device count). */
export const uintOf = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);

/** A NUL-terminated name written into a char buffer. */
export function cStringOf(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(b.subarray(0, end < 0 ? b.length : end));
}

/** NVML_SUCCESS and the codes worth naming in a log line (nvmlReturn_t). */
export function nvmlError(code: number): string {
  const names: Record<number, string> = {
    1: 'NVML_ERROR_UNINITIALIZED',
    2: 'NVML_ERROR_INVALID_ARGUMENT',
    3: 'NVML_ERROR_NOT_SUPPORTED',
    4: 'NVML_ERROR_NO_PERMISSION',
    9: 'NVML_ERROR_DRIVER_NOT_LOADED',
    12: 'NVML_ERROR_LIBRARY_NOT_FOUND',
    15: 'NVML_ERROR_GPU_IS_LOST',
    999: 'NVML_ERROR_UNKNOWN',
  };
  return names[code] ?? `NVML error ${code}`;
}
