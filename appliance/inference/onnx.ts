/**
 * @module Inference sessions as the appliance uses them: each one runs in its own worker thread
 * (onnx-host.ts), so inference overlaps with decoding, storing and serving instead of blocking the
 * event loop. Input tensors are transferred to the worker (zero-copy) and outputs come back the same
 * way. The API is that of a plain session.
 */
import type { GpuOptions, InferenceSession, Provider, TensorIn, TensorOut } from './onnx-session';
import type { Logger } from '../shared/log';
import { AppError } from '../shared/errors';
import { ONNX_HOST_URL } from '../workers';

export type { GpuOptions, InferenceSession, Provider, TensorIn, TensorOut };

type Reply =
  | { op: 'opened'; provider: Provider; tried: string[]; inputNames: string[]; outputNames: string[] }
  | { op: 'result'; id: number; outputs: Record<string, TensorOut>; ms: number }
  | { op: 'error'; id: number | null; message: string }
  | { op: 'closed' };

/** Told the run time of every inference, in seconds, measured in the worker around the model alone, and the provider it ran on. */
export type InferenceObserver = (model: string, provider: Provider, seconds: number) => void;

export async function openSession(
  path: string,
  opts: {
    providers: Provider[];
    threads: number;
    /** Let onnxruntime's threads spin while they wait (default off: models.spin). */
    spin?: boolean;
    log: Logger;
    ref: string;
    observe?: InferenceObserver;
    /** Device and TensorRT settings for the GPU providers. */
    gpu?: GpuOptions;
  },
): Promise<InferenceSession> {
  // Workers see the environment they are given; FOVEA_NATIVE_DIR is set at run time by native.ts.
  const worker = new Worker(ONNX_HOST_URL, { env: { ...process.env } as Record<string, string> });
  const pending = new Map<number, { resolve: (o: Record<string, TensorOut>) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let onOpen: ((r: Reply) => void) | null = null;
  let onClosed: (() => void) | null = null;
  let provider: Provider = 'cpu';
  const fail = (message: string) => {
    for (const p of pending.values()) p.reject(new AppError('model_unavailable', `model ${opts.ref}: ${message}`));
    pending.clear();
  };
  worker.onmessage = (ev: MessageEvent<Reply>) => {
    const r = ev.data;
    if (r.op === 'result') {
      opts.observe?.(opts.ref, provider, r.ms / 1000);
      pending.get(r.id)?.resolve(r.outputs);
      pending.delete(r.id);
      return;
    }
    if (r.op === 'error' && r.id !== null && pending.has(r.id)) {
      pending.get(r.id)!.reject(new AppError('internal', `model ${opts.ref}: ${r.message}`));
      pending.delete(r.id);
      return;
    }
    if (r.op === 'closed') {
      onClosed?.();
      return;
    }
    onOpen?.(r);
  };
  worker.onerror = (e) => {
    fail(`inference worker failed: ${e.message}`);
    // A worker that dies before answering 'open' must fail the open, not leave it waiting.
    onOpen?.({ op: 'error', id: null, message: `inference worker failed: ${e.message}` });
  };
  const opened = await new Promise<Reply>((resolve) => {
    onOpen = resolve;
    worker.postMessage({
      op: 'open',
      path,
      providers: opts.providers,
      threads: opts.threads,
      spin: opts.spin,
      ref: opts.ref,
      gpu: opts.gpu,
    });
  });
  if (opened.op !== 'opened') {
    worker.terminate();
    throw new AppError(
      'model_unavailable',
      opened.op === 'error'
        ? opened.message.startsWith(`model ${opts.ref}:`)
          ? opened.message
          : `model ${opts.ref}: ${opened.message}`
        : `model ${opts.ref}: the worker did not open it`,
    );
  }
  provider = opened.provider;
  // Once per model: the provider it opened on, and why each one before it in the list could not.
  if (opened.tried.length)
    opts.log.warn('model session fell back to a later provider', {
      model: opts.ref,
      provider: opened.provider,
      reasons: opened.tried,
    });
  opts.log.info('model session open', { model: opts.ref, provider: opened.provider, thread: 'worker' });
  return {
    provider: opened.provider,
    fallbacks: opened.tried,
    inputNames: opened.inputNames,
    outputNames: opened.outputNames,
    // Input tensors are transferred (the caller's buffers are detached): each call needs fresh ones.
    run(inputs: Record<string, TensorIn>, outputs?: string[]) {
      const id = nextId++;
      return new Promise<Record<string, TensorOut>>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage(
          { op: 'run', id, inputs, outputs },
          Object.values(inputs).map((t) => t.data.buffer as ArrayBuffer),
        );
      });
    },
    async close() {
      await new Promise<void>((resolve) => {
        onClosed = resolve;
        worker.postMessage({ op: 'close' });
      });
      worker.terminate();
    },
  };
}
