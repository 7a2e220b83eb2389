/**
 * @module The GPUs of this box through NVML (`libnvidia-ml.so.1`, installed with the NVIDIA driver),
 * called with bun:ffi: utilisation, memory, temperature and NVDEC utilisation per GPU. Without the
 * library (no driver, a CPU box) it reports itself absent with the reason, and the metrics then
 * carry no GPU series at all (not zeros).
 */
import { dlopen, FFIType, ptr } from 'bun:ffi';
import { cStringOf, memoryOf, nvmlError, uintOf, utilizationOf, type GpuSample } from './structs';

export type Gpus = { absent: string; sample(): [] } | { absent: null; sample(): GpuSample[] };

const NVML_TEMPERATURE_GPU = 0;

export function openNvml(library = process.env.FOVEA_NVML_LIBRARY ?? 'libnvidia-ml.so.1'): Gpus {
  let lib: ReturnType<typeof load>;
  try {
    lib = load(library);
  } catch (e) {
    return { absent: `${library} could not be loaded: ${(e as Error).message.split('\n')[0]}`, sample: () => [] };
  }
  const init = lib.symbols.nvmlInit_v2();
  if (init !== 0) return { absent: `nvmlInit_v2 failed: ${nvmlError(init)}`, sample: () => [] };
  const f = lib.symbols;
  const buf = (n: number) => new Uint8Array(n);
  return {
    absent: null,
    sample() {
      const count = buf(4);
      if (f.nvmlDeviceGetCount_v2(ptr(count)) !== 0) return [];
      const out: GpuSample[] = [];
      for (let i = 0; i < uintOf(count); i++) {
        const handle = new BigUint64Array(1);
        if (f.nvmlDeviceGetHandleByIndex_v2(i, ptr(handle)) !== 0) continue;
        const h = handle[0]!;
        const [name, util, mem, temp, dec, period] = [buf(96), buf(8), buf(24), buf(4), buf(4), buf(4)];
        f.nvmlDeviceGetName(h, ptr(name), name.length);
        const ok = (code: number) => code === 0;
        const u = ok(f.nvmlDeviceGetUtilizationRates(h, ptr(util))) ? utilizationOf(util).gpu : Number.NaN;
        const m = ok(f.nvmlDeviceGetMemoryInfo(h, ptr(mem))) ? memoryOf(mem) : null;
        const t = ok(f.nvmlDeviceGetTemperature(h, NVML_TEMPERATURE_GPU, ptr(temp))) ? uintOf(temp) : Number.NaN;
        const d = ok(f.nvmlDeviceGetDecoderUtilization(h, ptr(dec), ptr(period))) ? uintOf(dec) / 100 : null;
        out.push({
          index: i,
          name: cStringOf(name),
          utilization: u,
          memoryUsedBytes: m?.used ?? Number.NaN,
          memoryTotalBytes: m?.total ?? Number.NaN,
          temperatureC: t,
          decoderUtilization: d,
        });
      }
      return out;
    },
  };
}

function load(library: string) {
  const { i32, u32, u64 } = FFIType;
  const p = FFIType.ptr;
  return dlopen(library, {
    nvmlInit_v2: { args: [], returns: i32 },
    nvmlDeviceGetCount_v2: { args: [p], returns: i32 },
    nvmlDeviceGetHandleByIndex_v2: { args: [u32, p], returns: i32 },
    nvmlDeviceGetName: { args: [u64, p, u32], returns: i32 },
    nvmlDeviceGetUtilizationRates: { args: [u64, p], returns: i32 },
    nvmlDeviceGetMemoryInfo: { args: [u64, p], returns: i32 },
    nvmlDeviceGetTemperature: { args: [u64, u32, p], returns: i32 },
    nvmlDeviceGetDecoderUtilization: { args: [u64, p, p], returns: i32 },
  });
}
