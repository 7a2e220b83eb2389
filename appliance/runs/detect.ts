/**
 * @module One image through a pipeline, synchronously, for a client that wants the answer now (the
 * gRPC Detect call): the same decode, fit and stages as a run's photo, nothing queued, nothing
 * stored or published (results go to a throwaway sink).
 */
import { loadPipeline } from '../pipeline/catalog';
import { MemorySink } from '../pipeline/sink';
import type { Overrides } from '../pipeline/file';
import type { StageDeps } from '../pipeline/types';
import type { Catalog } from '../models/catalog';
import type { Imaging } from '../imaging/port';
import { asValidation } from '../shared/errors';
import { runDecodeSpec, runPhoto, type ItemOutput } from './item';

export interface DetectDeps {
  catalog: Catalog;
  imaging: Imaging;
  maxPixels: number;
  pipelinesDir(): string;
  /** Stage services (models, imaging, log); the sink, publisher and outputs are replaced here. */
  stageDeps(): Omit<StageDeps, 'sink' | 'publisher' | 'outputs' | 'snapshots'>;
}

export async function detectOnce(
  d: DetectDeps,
  name: string,
  overrides: Overrides,
  data: Uint8Array,
): Promise<ItemOutput & { ms: number }> {
  const t0 = performance.now();
  const pipeline = (() => {
    try {
      return loadPipeline(d.pipelinesDir(), name, overrides);
    } catch (e) {
      throw asValidation(e);
    }
  })();
  const { output } = await runPhoto(
    {
      pipeline,
      spec: runDecodeSpec(pipeline, d.catalog),
      deps: { ...d.stageDeps(), sink: new MemorySink(), publisher: null, outputs: null, snapshots: null },
      hooks: {},
      imaging: d.imaging,
      maxPixels: d.maxPixels,
      now: Date.now,
    },
    'detect',
    0,
    data,
  );
  return { ...output, ms: performance.now() - t0 };
}
