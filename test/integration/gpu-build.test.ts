/**
 * The GPU build's checks, on this machine without the GPU release: real libraries (onnxruntime-node's
 * CPU core), real version reads (the core asked for its version through bun:ffi), real sha256.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { symlink } from 'node:fs/promises';
import { GPU_FILES, checkGpuSet } from '../../scripts/ort-gpu';
import { tempDir } from '../helpers/fixtures';

const ROOT = join(import.meta.dir, '../..');
const ORT = join(ROOT, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
const CPU_CORE = join(ORT, 'libonnxruntime.so.1');
const empty = { version: '', sha256: {} };

/** A lib/ directory with the CPU core under the core's name and other real files under the providers'. */
async function set(dir: string, names: readonly string[] = GPU_FILES): Promise<void> {
  for (const n of names)
    await symlink(n === GPU_FILES[0] ? CPU_CORE : join(ORT, 'onnxruntime_binding.node'), join(dir, n));
}

describe('npm run build:gpu', () => {
  test('without the GPU release it fails at once, naming the file to download and where', async () => {
    const env = { ...process.env };
    delete env.FOVEA_ORT_GPU_DIR;
    const t0 = performance.now();
    const p = Bun.spawn([process.execPath, join(ROOT, 'scripts/build.ts'), '--gpu', '/tmp/fovea-gpu-test'], {
      env,
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const err = await new Response(p.stderr).text();
    expect({ code: await p.exited, err: err.trim(), quick: performance.now() - t0 < 10_000 }).toEqual({
      code: 1,
      err: 'build:gpu: FOVEA_ORT_GPU_DIR is not set: download onnxruntime-linux-x64-gpu-1.30.0.tgz (https://github.com/microsoft/onnxruntime/releases/download/v1.30.0/onnxruntime-linux-x64-gpu-1.30.0.tgz), unpack it, and set FOVEA_ORT_GPU_DIR to its directory',
      quick: true,
    });
  });

  test('a set without its provider libraries is refused, naming each one missing', async () => {
    await using dir = await tempDir();
    await set(dir.path, [GPU_FILES[0]]);
    expect(() => checkGpuSet(dir.path, { version: '1.30.0', lock: empty })).toThrow(
      `${dir.path} lacks libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so, libonnxruntime_providers_tensorrt.so: download onnxruntime-linux-x64-gpu-1.30.0.tgz`,
    );
  });

  test('a core of another version than the binding is refused, with both versions (asked of the library)', async () => {
    await using dir = await tempDir();
    await set(dir.path);
    expect(() => checkGpuSet(dir.path, { version: '1.29.0', lock: empty })).toThrow(
      `${join(dir.path, 'libonnxruntime.so.1')} is ONNX Runtime 1.30.0, but onnxruntime-node's binding is built for 1.29.0`,
    );
  });

  test('the sha256 pin: none yet is refused with how to pin; --pin records it; a changed file is refused', async () => {
    await using dir = await tempDir();
    await set(dir.path);
    const want = { version: '1.30.0', lock: empty };
    expect(() => checkGpuSet(dir.path, want)).toThrow(
      'no sha256 is pinned for the ONNX Runtime 1.30.0 GPU release yet',
    );
    const { lock } = checkGpuSet(dir.path, { ...want, pin: true });
    const again = checkGpuSet(dir.path, { version: '1.30.0', lock });
    const tampered = { ...lock, sha256: { ...lock.sha256, 'libonnxruntime_providers_cuda.so': '0'.repeat(64) } };
    expect([Object.keys(lock.sha256), again.files.length]).toEqual([[...GPU_FILES], 4]);
    expect(() => checkGpuSet(dir.path, { version: '1.30.0', lock: tampered })).toThrow(
      `libonnxruntime_providers_cuda.so has sha256 ${lock.sha256['libonnxruntime_providers_cuda.so']}, pinned ${'0'.repeat(64)}: not the pinned onnxruntime-linux-x64-gpu-1.30.0.tgz`,
    );
  });
});
