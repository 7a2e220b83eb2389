/**
 * @module `detect@1`: an ONNX object detector from the catalog (YOLOX-nano by default) on the frame,
 * which ffmpeg already letterboxed to the model's input. Score threshold, NMS, class allow-list.
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../types';
import { toTensor } from '../../inference/preprocess';
import { decodeYolox } from '../../inference/detect/yolox';
import { decodeNanodet } from '../../inference/detect/nanodet';
import { AppError } from '../../shared/errors';
import type { PreparedTensor } from './preprocess';

export const detectStage = defineStage({
  type: 'detect',
  version: 1,
  concurrent: true,
  description: 'Detect objects with a catalog model (YOLOX or NanoDet decoder).',
  options: Type.Object(
    {
      model: Type.String({ default: 'yolox-nano@1', description: 'Catalog id@version of a detect model.' }),
      score: Type.Number({ default: 0.3, minimum: 0, maximum: 1, description: 'Minimum score (objectness x class).' }),
      nms_iou: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Overrides the model default.' })),
      classes: Type.Array(Type.String(), { default: [], description: 'Keep only these labels (empty: all).' }),
    },
    { additionalProperties: false },
  ),
  async create(o, deps) {
    const m = await deps.models.get(o.model);
    const { input, output } = m.entry;
    if (m.entry.task !== 'detect' || (output.decoder !== 'yolox' && output.decoder !== 'nanodet')) {
      throw new AppError(
        'config_invalid',
        `detect: model ${o.model} is not a YOLOX or NanoDet detector (decoder ${output.decoder})`,
      );
    }
    const strides = output.strides ?? [8, 16, 32];
    const outNames =
      output.decoder === 'yolox'
        ? [output.name]
        : strides.flatMap((s) => [`cls_pred_stride_${s}`, `dis_pred_stride_${s}`]);
    const unknown = o.classes.filter((c) => !m.labels.includes(c));
    if (unknown.length)
      throw new AppError('config_invalid', `detect: unknown classes ${unknown.join(', ')} for ${o.model}`);
    const allow = o.classes.length ? new Set(o.classes.map((c) => m.labels.indexOf(c))) : undefined;
    const dims = [1, 3, input.height, input.width];
    return {
      async run(frame) {
        if (frame.final) return;
        if (frame.width !== input.width || frame.height !== input.height) {
          throw new AppError(
            'internal',
            `detect: frame is ${frame.width}x${frame.height}, model wants ${input.width}x${input.height}`,
          );
        }
        // A preprocess stage may have made the tensor already; else make it here. Frames arrive in the
        // model's own channel order (ffmpeg converts), so no swap: 'RGB' = as is.
        const prepared = frame.outputs.tensor as PreparedTensor | undefined;
        const tensor =
          prepared && prepared.model === o.model
            ? prepared.data
            : toTensor(frame.pixels, frame.width, frame.height, { ...input, color: 'RGB' });
        const out = await m.session.run({ [input.name]: { data: tensor, dims } }, outNames);
        const common = {
          inputWidth: input.width,
          inputHeight: input.height,
          strides,
          scoreThreshold: o.score,
          labels: m.labels,
          allow,
        };
        frame.detections =
          output.decoder === 'yolox'
            ? decodeYolox(out[output.name]!.data, out[output.name]!.dims, frame.letterbox, {
                ...common,
                nmsIou: o.nms_iou ?? output.nms_iou ?? 0.45,
              })
            : decodeNanodet(out, frame.letterbox, { ...common, bins: 8, nmsIou: o.nms_iou ?? output.nms_iou ?? 0.6 });
      },
    };
  },
});
