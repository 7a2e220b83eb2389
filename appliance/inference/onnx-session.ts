/**
 * @module onnxruntime-node, in the thread that runs it (the only importer of onnxruntime). Opens a
 * session on the first execution provider that works, in the configured order (cuda, then cpu): a
 * CPU-only onnxruntime build (the npm package here) falls through to cpu. Used inside the inference
 * worker (onnx-host.ts); onnx.ts is what the rest of the appliance calls.
 */
import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../shared/errors';
import { setNativeEnv, tensorrtEnv } from './native-env';

export type Provider = 'tensorrt' | 'cuda' | 'cpu';

/** What the GPU providers are given: the device, and TensorRT's settings (its engines cached in cacheDir). */
export interface GpuOptions {
  deviceId: number;
  fp16: boolean;
  workspaceMb: number;
  cacheDir: string;
}

export interface TensorIn {
  data: Float32Array;
  dims: number[];
}
export interface TensorOut {
  data: Float32Array;
  dims: number[];
}

export interface InferenceSession {
  readonly provider: Provider;
  /** Why each provider listed before `provider` could not open the model ('cuda: …'). */
  readonly fallbacks?: readonly string[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(inputs: Record<string, TensorIn>, outputs?: string[]): Promise<Record<string, TensorOut>>;
  close(): Promise<void>;
}

/** Where a GPU provider's library would be: beside libonnxruntime (from source or the binary). */
function providerLibraryPresent(file: string): boolean {
  const dirs = [process.env.FOVEA_NATIVE_DIR ? join(process.env.FOVEA_NATIVE_DIR, 'ort') : null];
  try {
    dirs.push(join(dirname(require.resolve('onnxruntime-node')), '../bin/napi-v6/linux/x64'));
  } catch {
    /* compiled binary */
  }
  return dirs.some((d) => d !== null && existsSync(join(d, file)));
}

/** Why a provider cannot be used here, or null when it may be tried. */
export function unavailableReason(provider: Provider): string | null {
  if (provider === 'cpu') return null;
  const listed = ort.listSupportedBackends().find((b) => b.name === provider);
  if (!listed) return 'not supported by this onnxruntime build';
  const file = `libonnxruntime_providers_${provider}.so`;
  if (!listed.bundled && !providerLibraryPresent(file))
    return `${provider === 'cuda' ? 'CUDA' : 'TensorRT'} provider libraries are not installed (${file})`;
  return null;
}

export interface Opened {
  session: InferenceSession;
  tried: string[];
}

/** onnxruntime's config entries (session.intra_op.allow_spinning, …) for spinning on or off. */
function spinning(on: boolean): Record<string, Record<string, string>> {
  const allow = { allow_spinning: on ? '1' : '0' };
  return { intra_op: allow, inter_op: allow };
}

export async function openLocalSession(
  path: string,
  opts: { providers: Provider[]; threads: number; spin?: boolean; ref: string; gpu?: GpuOptions },
): Promise<Opened> {
  const failures: string[] = [];
  for (const provider of opts.providers) {
    const reason = unavailableReason(provider);
    if (reason) {
      failures.push(`${provider}: ${reason}`);
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(path, {
        executionProviders: executionProviders(provider, opts.providers, opts.gpu),
        ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
        // Threads that spin between the parts of a run take the cores decoding and serving need.
        extra: { session: spinning(opts.spin ?? false) },
        graphOptimizationLevel: 'all',
        // Errors only: some exported models (NanoDet) warn once per initializer at load. A provider
        // that cannot load (CUDA on a CPU box) is expected; its reason goes into our log.
        logSeverityLevel: provider !== 'cpu' ? (4 as const) : (3 as const),
      });
      return { session: wrap(session, provider), tried: failures };
    } catch (e) {
      failures.push(`${provider}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new AppError(
    'model_unavailable',
    `model ${opts.ref}: no execution provider could open it (${failures.join('; ')})`,
  );
}

/**
 * The providers of one session for `provider`: TensorRT with CUDA behind it when CUDA is also
 * asked for (the nodes TensorRT cannot take run on CUDA, not on the CPU), on the configured device.
 * TensorRT's settings go through the environment it reads, set before the session is made.
 */
function executionProviders(
  provider: Provider,
  asked: Provider[],
  gpu?: GpuOptions,
): ort.InferenceSession.ExecutionProviderConfig[] {
  const deviceId = gpu?.deviceId ?? 0;
  if (provider === 'cpu') return ['cpu'];
  if (provider === 'cuda') return [{ name: 'cuda', deviceId }];
  if (gpu) for (const [k, v] of Object.entries(tensorrtEnv(gpu))) setNativeEnv(k, v);
  return [{ name: 'tensorrt', deviceId }, ...(asked.includes('cuda') ? [{ name: 'cuda' as const, deviceId }] : [])];
}

function wrap(session: ort.InferenceSession, provider: Provider): InferenceSession {
  return {
    provider,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(inputs, outputs) {
      const feeds = Object.fromEntries(
        Object.entries(inputs).map(([k, t]) => [k, new ort.Tensor('float32', t.data, t.dims)]),
      );
      const res = outputs ? await session.run(feeds, outputs) : await session.run(feeds);
      return Object.fromEntries(
        Object.entries(res).map(([k, t]) => [k, { data: t.data as Float32Array, dims: [...t.dims] }]),
      );
    },
    close: () => session.release(),
  };
}
