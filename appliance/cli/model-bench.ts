/**
 * @module `fovea models bench`: one model on one execution provider, with no fallback, run on a
 * batch of inputs of its own size for a while: inferences and images per second, p50 and p99 of a
 * run. What bench/gpu.sh runs on a GPU host with the GPU build, per provider and batch.
 */
import { openSession, type Provider } from '../inference/onnx';
import type { ModelEntry } from '../models/catalog';
import type { Logger } from '../shared/log';
import { AppError } from '../shared/errors';
import { percentile } from '../shared/stats';

export interface ModelBench {
  model: string;
  provider: Provider;
  batch: number;
  runs: number;
  images_per_s: number;
  p50_ms: number;
  p99_ms: number;
}

export async function benchModel(
  path: string,
  entry: ModelEntry & { ref: string },
  o: { provider: Provider; batch: number; seconds: number; threads: number; spin: boolean; log: Logger },
): Promise<ModelBench> {
  const session = await openSession(path, {
    providers: [o.provider],
    threads: o.threads,
    spin: o.spin,
    log: o.log,
    ref: entry.ref,
  });
  try {
    const { input } = entry;
    const size = 3 * input.width * input.height;
    const dims =
      input.layout === 'NCHW' ? [o.batch, 3, input.height, input.width] : [o.batch, input.height, input.width, 3];
    // Mid-grey input: the same work as a real frame for these models (no data-dependent branches).
    const run = () => session.run({ [input.name]: { data: new Float32Array(o.batch * size).fill(0.5), dims } });
    try {
      await run();
    } catch (e) {
      throw new AppError(
        'validation_failed',
        `${entry.ref} does not take a batch of ${o.batch} (its batch dimension is fixed): ${(e as Error).message.split('\n')[0]}`,
      );
    }
    const times: number[] = [];
    const until = performance.now() + o.seconds * 1000;
    while (performance.now() < until || times.length < 5) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    const total = times.reduce((a, b) => a + b, 0) / 1000;
    return {
      model: entry.ref,
      provider: session.provider,
      batch: o.batch,
      runs: times.length,
      images_per_s: Math.round(((times.length * o.batch) / total) * 10) / 10,
      // At least five runs were timed, so there is a percentile.
      p50_ms: Math.round(percentile(times, 50)! * 100) / 100,
      p99_ms: Math.round(percentile(times, 99)! * 100) / 100,
    };
  } finally {
    await session.close();
  }
}
