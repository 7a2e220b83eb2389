/**
 * @module Image embedding: decode + centre crop (imaging), tensor (preprocess), run (onnx session),
 * L2-normalise. One instance per embedding model; it knows its model ref and dimension. Images whose
 * tensors are ready while the model is busy run together as one batch when it is free (group
 * commit, shared/batcher): concurrent searches and uploads share runs instead of queueing one by one.
 */
import type { ModelEntry } from '../models/catalog';
import { refOf } from '../models/catalog';
import type { InferenceSession } from './onnx';
import { l2normalize, toTensor } from './preprocess';
import { AppError } from '../shared/errors';
import { Batcher } from '../shared/batcher';
import type { Size } from '../imaging/port';

/** Decoding port: the embedder does not care which library makes the pixels. */
export type CropRgb = (
  data: Uint8Array,
  shortSide: number,
  w: number,
  h: number,
  upright?: Size,
) => Promise<{ data: Uint8Array; width: number; height: number }>;

export interface Embedder {
  readonly modelRef: string;
  readonly dims: number;
  readonly provider: string;
  /** `upright`: the image's size after EXIF orientation when a probe has read it (its header is not read again). */
  embed(image: Uint8Array, upright?: Size): Promise<Float32Array>;
}

/** Embeddings that wait while the model runs go together in one run of at most this many images. */
export const EMBED_BATCH = 8;

export function createEmbedder(
  model: ModelEntry,
  session: InferenceSession,
  crop: CropRgb,
  opts: { batch?: number } = {},
): Embedder {
  const { input, output } = model;
  if (model.task !== 'embed' || input.resize !== 'center-crop' || !output.dims) {
    throw new AppError('model_unavailable', `model ${refOf(model)} is not a centre-crop embedding model`);
  }
  const outName = output.name || session.outputNames[0]!;
  if (!session.outputNames.includes(outName)) {
    throw new AppError(
      'model_unavailable',
      `model ${refOf(model)} has no output '${outName}' (has ${session.outputNames.join(', ')})`,
    );
  }
  const dims = output.dims;
  const dimsOf = (n: number) =>
    input.layout === 'NCHW' ? [n, 3, input.height, input.width] : [n, input.height, input.width, 3];
  /** n tensors in one run: one vector each, in order. */
  const run = async (tensors: Float32Array[]): Promise<Float32Array[]> => {
    const n = tensors.length;
    const data = n === 1 ? tensors[0]! : new Float32Array(n * tensors[0]!.length);
    if (n > 1) for (const [i, t] of tensors.entries()) data.set(t, i * t.length);
    const out = await session.run({ [input.name]: { data, dims: dimsOf(n) } }, [outName]);
    const all = out[outName]!.data;
    if (all.length !== n * dims)
      throw new AppError(
        'internal',
        `model ${refOf(model)} returned ${all.length} values for ${n}, expected ${n * dims}`,
      );
    return tensors.map((_, i) => l2normalize(Float32Array.from(all.subarray(i * dims, (i + 1) * dims))));
  };
  // A model whose batch dimension is fixed refuses a batch: from then on each image runs alone.
  let batches = (opts.batch ?? EMBED_BATCH) > 1;
  const one = async (tensors: Float32Array[]) => {
    const out: Float32Array[] = [];
    for (const t of tensors) out.push(...(await run([t])));
    return out;
  };
  const queue = new Batcher<Float32Array, Float32Array>(
    async (tensors) => {
      if (tensors.length === 1 || !batches) return one(tensors);
      try {
        return await run(tensors);
      } catch {
        batches = false;
        return one(tensors);
      }
    },
    { max: opts.batch ?? EMBED_BATCH },
  );
  return {
    modelRef: refOf(model),
    dims,
    provider: session.provider,
    async embed(image, upright) {
      const rgb = await crop(image, input.short_side ?? input.width, input.width, input.height, upright);
      return queue.add(toTensor(rgb.data, rgb.width, rgb.height, input));
    },
  };
}

/**
 * An embedder whose model may still be on its way (first run): its id and size come from the catalog,
 * so the index opens at once; until `set` hands it the real one, embedding answers 503
 * model_unavailable with `why()`.
 */
export function lateEmbedder(model: ModelEntry, why: () => string): { embedder: Embedder; set(e: Embedder): void } {
  if (model.task !== 'embed' || !model.output.dims)
    throw new AppError('model_unavailable', `model ${refOf(model)} is not an embedding model`);
  let real: Embedder | null = null;
  const embedder: Embedder = {
    modelRef: refOf(model),
    dims: model.output.dims,
    get provider() {
      return real?.provider ?? 'not loaded';
    },
    embed(image, upright) {
      if (real) return real.embed(image, upright);
      return Promise.reject(
        new AppError('model_unavailable', `the embedding model ${refOf(model)} is not ready: ${why()}`),
      );
    },
  };
  return {
    embedder,
    set: (e) => {
      real = e;
    },
  };
}
