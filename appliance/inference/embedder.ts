/**
 * @module Image embedding: decode + centre crop (imaging), tensor (preprocess), run (onnx session),
 * L2-normalise. One instance per embedding model; it knows its model ref and dimension.
 */
import type { ModelEntry } from '../models/catalog';
import { refOf } from '../models/catalog';
import type { InferenceSession } from './onnx';
import { l2normalize, toTensor } from './preprocess';
import { AppError } from '../shared/errors';

/** Decoding port: the embedder does not care which library makes the pixels. */
export type CropRgb = (
  data: Uint8Array,
  shortSide: number,
  w: number,
  h: number,
) => Promise<{ data: Uint8Array; width: number; height: number }>;

export interface Embedder {
  readonly modelRef: string;
  readonly dims: number;
  readonly provider: string;
  embed(image: Uint8Array): Promise<Float32Array>;
}

export function createEmbedder(model: ModelEntry, session: InferenceSession, crop: CropRgb): Embedder {
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
  return {
    modelRef: refOf(model),
    dims,
    provider: session.provider,
    async embed(image) {
      const rgb = await crop(image, input.short_side ?? input.width, input.width, input.height);
      const tensor = toTensor(rgb.data, rgb.width, rgb.height, input);
      const dimsIn = input.layout === 'NCHW' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
      const out = await session.run({ [input.name]: { data: tensor, dims: dimsIn } }, [outName]);
      const vec = out[outName]!.data;
      if (vec.length !== dims)
        throw new AppError('internal', `model ${refOf(model)} returned ${vec.length} values, expected ${dims}`);
      return l2normalize(Float32Array.from(vec));
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
    embed(image) {
      if (real) return real.embed(image);
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
