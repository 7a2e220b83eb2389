/**
 * @module `preprocess@1`: how frames are prepared for a model. Its options decide the decode geometry
 * (ffmpeg resizes, letterboxes or stretches, and converts the colour order on the way out of the
 * decoder) and the stage normalises the frame into the model's input tensor, which `detect` then
 * uses. Without this stage the detect model's catalog spec applies unchanged.
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../types';
import { toTensor } from '../../inference/preprocess';
import { findModel } from '../../models/catalog';
import { AppError } from '../../shared/errors';

export interface PreparedTensor {
  model: string;
  data: Float32Array;
  dims: number[];
}

export const preprocessStage = defineStage({
  type: 'preprocess',
  version: 1,
  concurrent: true,
  description: 'Resize / letterbox / colour order (in ffmpeg) and normalise to the model tensor.',
  options: Type.Object(
    {
      model: Type.String({
        default: 'yolox-nano@1',
        description: 'The model whose input this prepares (size, colour order, mean/std from the catalog).',
      }),
      fit: Type.Optional(
        Type.Union([Type.Literal('letterbox'), Type.Literal('stretch')], {
          description: 'Override the catalog: keep the aspect ratio and pad, or stretch.',
        }),
      ),
      pad: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, description: 'Letterbox padding grey level.' })),
      align: Type.Optional(Type.Union([Type.Literal('top-left'), Type.Literal('center')])),
    },
    { additionalProperties: false },
  ),
  async create(o, deps) {
    const entry = findModel(deps.models.catalog, o.model);
    if (entry.input.layout !== 'NCHW') throw new AppError('config_invalid', `preprocess: model ${o.model} is not NCHW`);
    const dims = [1, 3, entry.input.height, entry.input.width];
    return {
      run(frame) {
        if (frame.final) return;
        // Pixels come out of ffmpeg in the model's channel order already: no swap here.
        const data = toTensor(frame.pixels, frame.width, frame.height, { ...entry.input, color: 'RGB' });
        frame.outputs.tensor = { model: o.model, data, dims } satisfies PreparedTensor;
      },
    };
  },
});
