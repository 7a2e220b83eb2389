/**
 * @module The inference worker: one onnxruntime session per worker thread. onnxruntime-node's run()
 * is synchronous on the thread that calls it (it resolves inside setImmediate), so running it on the
 * main thread would stall ffmpeg pipes, DuckDB callbacks and the HTTP API for the whole inference.
 * Messages: open, run (tensors transferred, not copied), close.
 */
import { openLocalSession } from './onnx-session';
import type { GpuOptions, InferenceSession, Provider, TensorIn } from './onnx-session';

declare const self: Worker;

let session: InferenceSession | null = null;

type Msg =
  | { op: 'open'; path: string; providers: Provider[]; threads: number; spin?: boolean; ref: string; gpu?: GpuOptions }
  | { op: 'run'; id: number; inputs: Record<string, TensorIn>; outputs?: string[] }
  | { op: 'close' };

self.onmessage = async (ev: MessageEvent<Msg>) => {
  const m = ev.data;
  try {
    if (m.op === 'open') {
      const { session: s, tried } = await openLocalSession(m.path, m);
      session = s;
      self.postMessage({
        op: 'opened',
        provider: s.provider,
        tried,
        inputNames: s.inputNames,
        outputNames: s.outputNames,
      });
    } else if (m.op === 'run') {
      const t0 = performance.now();
      const out = await session!.run(m.inputs, m.outputs);
      const ms = performance.now() - t0;
      const buffers = Object.values(out).map((t) => t.data.buffer as ArrayBuffer);
      self.postMessage({ op: 'result', id: m.id, outputs: out, ms }, buffers);
    } else if (m.op === 'close') {
      await session?.close();
      session = null;
      self.postMessage({ op: 'closed' });
    }
  } catch (e) {
    self.postMessage({ op: 'error', id: 'id' in m ? m.id : null, message: (e as Error).message });
  }
};
