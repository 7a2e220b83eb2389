/**
 * The GPU build's checks, on this machine without the GPU release: real libraries (onnxruntime-node's
 * CPU core), real version reads (the core asked for its version through bun:ffi), real sha256. And
 * the parts of measuring a GPU host that run here: `fovea models bench` on the CPU, and bench/gpu.sh
 * finding no GPU.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { symlink } from 'node:fs/promises';
import { GPU_FILES, checkGpuSet } from '../../scripts/ort-gpu';
import { MODELS_DIR, ensureModel, tempDir } from '../helpers/fixtures';
import { foveaCli } from '../helpers/process';

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

describe('measuring a GPU host', () => {
  const config = async (dir: string) => {
    const file = join(dir, 'fovea.yaml');
    await Bun.write(file, `state_dir: ${dir}\nmodels: { dir: ${MODELS_DIR} }\nlog: { level: error }\n`);
    return file;
  };

  test('fovea models bench: one model on one provider, no fallback; a fixed batch and a missing provider say so', async () => {
    await ensureModel('yolox-nano@1');
    await using dir = await tempDir();
    const file = await config(dir.path);
    const bench = (...args: string[]) => foveaCli(['models', 'bench', 'yolox-nano@1', ...args, '--config', file]);
    const cpu = await bench('--provider', 'cpu', '--seconds', '1');
    const eight = await bench('--provider', 'cpu', '--batch', '8', '--seconds', '1');
    const cuda = await bench('--provider', 'cuda', '--seconds', '1');
    const bad = await bench('--provider', 'gpu');
    const r = JSON.parse(cpu.out) as { provider: string; batch: number; images_per_s: number; p99_ms: number };
    expect({
      cpu: [cpu.code, r.provider, r.batch, r.images_per_s > 0, r.p99_ms > 0],
      eight: [eight.code, eight.err.includes('yolox-nano@1 does not take a batch of 8 (its batch dimension is fixed)')],
      cuda: [cuda.code, cuda.err.trim()],
      bad: bad.code,
    }).toEqual({
      cpu: [0, 'cpu', 1, true, true],
      eight: [1, true],
      cuda: [
        1,
        'fovea models: model yolox-nano@1: no execution provider could open it (cuda: CUDA provider libraries are not installed (libonnxruntime_providers_cuda.so))',
      ],
      bad: 2,
    });
  }, 60_000);

  test('bench/gpu.sh parses, and on this machine without a GPU says so and exits 0 without a table', async () => {
    const script = join(ROOT, 'bench/gpu.sh');
    const syntax = Bun.spawnSync(['bash', '-n', script]);
    const run = Bun.spawnSync(['bash', script], { env: { ...process.env, PATH: process.env.PATH } });
    const out = run.stdout.toString();
    expect([syntax.exitCode, run.exitCode, out.trim(), out.includes('|')]).toEqual([
      0,
      0,
      'bench/gpu.sh: no GPU here (nvidia-smi finds none): nothing to measure.',
      false,
    ]);
  });
});
