/**
 * @module The GPU build's ONNX Runtime: the official GPU release's core library and its CUDA,
 * TensorRT and shared provider libraries, taken from FOVEA_ORT_GPU_DIR. The build checks, before
 * anything is compiled, that every file is there, that the core is the version onnxruntime-node's
 * binding was built for (asked of the library itself: OrtGetApiBase()->GetVersionString()), and
 * that the bytes are the ones pinned in scripts/ort-gpu.lock.json. The pin is made once, with
 * `--pin`, on a host that reached the release: the release's sha256 could not be read from here.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../appliance/models/pull';
import { CFunction, dlopen, FFIType, read, CString, type Pointer } from 'bun:ffi';

/** The files of the release's lib/ directory the binary carries, as named there. */
export const GPU_FILES = [
  'libonnxruntime.so.1',
  'libonnxruntime_providers_shared.so',
  'libonnxruntime_providers_cuda.so',
  'libonnxruntime_providers_tensorrt.so',
] as const;

export const releaseOf = (version: string) => ({
  name: `onnxruntime-linux-x64-gpu-${version}.tgz`,
  url: `https://github.com/microsoft/onnxruntime/releases/download/v${version}/onnxruntime-linux-x64-gpu-${version}.tgz`,
});

export interface Lock {
  version: string;
  sha256: Record<string, string>;
}

export const LOCK = join(import.meta.dir, 'ort-gpu.lock.json');

/** The ONNX Runtime version a core library reports of itself. */
export function coreVersion(path: string): string {
  const lib = dlopen(path, { OrtGetApiBase: { args: [], returns: FFIType.ptr } });
  try {
    const base = lib.symbols.OrtGetApiBase();
    if (!base) throw new Error(`${path}: OrtGetApiBase returned nothing`);
    // struct OrtApiBase { const OrtApi* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); }
    const getVersion = CFunction({ ptr: read.ptr(base, 8) as Pointer, returns: FFIType.ptr, args: [] });
    return new CString(getVersion() as never).toString();
  } finally {
    lib.close();
  }
}

/**
 * The GPU set in `given` (the release directory or its lib/), checked: the absolute path of each
 * of GPU_FILES. Throws an Error whose message says exactly what to get or do.
 */
export function checkGpuSet(
  given: string | undefined,
  want: { version: string; lock: Lock; pin?: boolean },
): { files: string[]; lock: Lock } {
  const rel = releaseOf(want.version);
  const fetchHint = `download ${rel.name} (${rel.url}), unpack it, and set FOVEA_ORT_GPU_DIR to its directory`;
  if (!given) throw new Error(`FOVEA_ORT_GPU_DIR is not set: ${fetchHint}`);
  const dir = existsSync(join(given, 'lib', GPU_FILES[0])) ? join(given, 'lib') : given;
  const missing = GPU_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) throw new Error(`${dir} lacks ${missing.join(', ')}: ${fetchHint}`);
  const files = GPU_FILES.map((f) => join(dir, f));
  const version = coreVersion(files[0]!);
  if (version !== want.version)
    throw new Error(
      `${files[0]} is ONNX Runtime ${version}, but onnxruntime-node's binding is built for ${want.version}: ${fetchHint}`,
    );
  const sums = Object.fromEntries(GPU_FILES.map((f, i) => [f, sha256(readFileSync(files[i]!))]));
  if (want.pin) return { files, lock: { version, sha256: sums } };
  if (want.lock.version !== want.version || Object.keys(want.lock.sha256).length === 0)
    throw new Error(
      `no sha256 is pinned for the ONNX Runtime ${want.version} GPU release yet (${LOCK}): check the download against Microsoft's release page, then run \`npm run build:gpu -- --pin\` once and commit the lock`,
    );
  const wrong = GPU_FILES.filter((f) => want.lock.sha256[f] !== sums[f]);
  if (wrong.length)
    throw new Error(
      `${wrong.map((f) => `${f} has sha256 ${sums[f]}, pinned ${want.lock.sha256[f] ?? 'none'}`).join('; ')}: not the pinned ${rel.name}`,
    );
  return { files, lock: want.lock };
}

export const readLock = (): Lock => JSON.parse(readFileSync(LOCK, 'utf8')) as Lock;
export const writeLock = (lock: Lock) => writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
