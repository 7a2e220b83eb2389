/**
 * @module `classify@1`: a classifier from the catalog (MobileNetV2 with its ImageNet labels by
 * default) on the whole picture or on each detection's crop: top-k labels and scores, on the frame
 * (`outputs.<stage>`) and on each detection (`classes`). On a photo the crops come from the original
 * at full resolution; on a video frame from the model-size picture.
 */
import { Type } from '@sinclair/typebox';
import { defineStage, frameDetections, type Frame } from '../types';
import { softmax, toTensor, topK } from '../../inference/preprocess';
import { pictureRegion, toInput } from '../../inference/detect/types';
import type { RawImage, Region } from '../../imaging/port';
import { AppError } from '../../shared/errors';

export interface Classified {
  label: string;
  score: number;
}
export interface ClassifyOutput {
  /** The whole picture's classes (target image), else null. */
  image: Classified[] | null;
  /** Each classified detection: its index in the frame's detections, its box and label, its classes. */
  detections: Array<{ index: number; label: string; box: [number, number, number, number]; classes: Classified[] }>;
}

/** The region of a box inside an image, clipped, at least 1 pixel; null when it falls outside. */
function regionOf(box: readonly number[], w: number, h: number): Region | null {
  const left = Math.max(0, Math.floor(box[0]!));
  const top = Math.max(0, Math.floor(box[1]!));
  const right = Math.min(w, Math.ceil(box[2]!));
  const bottom = Math.min(h, Math.ceil(box[3]!));
  return right - left >= 1 && bottom - top >= 1 ? { left, top, width: right - left, height: bottom - top } : null;
}

export const classifyStage = defineStage({
  type: 'classify',
  version: 1,
  concurrent: true,
  description: 'Classify the whole picture or each detection crop: top-k labels and scores.',
  options: Type.Object(
    {
      model: Type.String({ default: 'mobilenetv2-classify@1', description: 'Catalog id@version of a classifier.' }),
      target: Type.Union([Type.Literal('image'), Type.Literal('detections')], {
        default: 'image',
        description: 'The whole picture, or each detection crop.',
      }),
      top_k: Type.Integer({ default: 5, minimum: 1, maximum: 50, description: 'Labels kept per crop.' }),
      min_score: Type.Number({ default: 0, minimum: 0, maximum: 1, description: 'Drop labels scoring below this.' }),
      classes: Type.Array(Type.String(), {
        default: [],
        description: 'detections: only detections with these labels (empty: all).',
      }),
      max_crops: Type.Integer({ default: 20, minimum: 1, maximum: 500, description: 'detections: at most this many.' }),
    },
    { additionalProperties: false },
  ),
  async create(o, deps) {
    const m = await deps.models.get(o.model);
    const { input, output } = m.entry;
    if (m.entry.task !== 'classify')
      throw new AppError('config_invalid', `classify: model ${o.model} is not a classifier (task ${m.entry.task})`);
    if (m.labels.length === 0) throw new AppError('config_invalid', `classify: model ${o.model} has no labels`);
    const outName = output.name || m.session.outputNames[0]!;
    const dims = input.layout === 'NCHW' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
    const classify = async (img: RawImage, region: Region): Promise<Classified[]> => {
      const rgb = await deps.imaging.rawRegionRgb(img, region, input.width, input.height);
      const out = await m.session.run(
        { [input.name]: { data: toTensor(rgb, input.width, input.height, input), dims } },
        [outName],
      );
      const data = out[outName]!.data as Float32Array;
      const probs = output.decoder === 'softmax' ? softmax(data) : data;
      return topK(probs, o.top_k)
        .filter((c) => c.score >= o.min_score)
        .map((c) => ({ label: m.labels[c.index] ?? String(c.index), score: Math.round(c.score * 1e4) / 1e4 }));
    };
    /** The picture to crop from, and how a detection box maps into it. */
    const sourceOf = async (frame: Frame) => {
      if (frame.photo) {
        const raw = await deps.imaging.decodeRaw(frame.photo, 1e9);
        return {
          raw,
          map: (b: readonly number[]) => b,
          whole: { left: 0, top: 0, width: raw.width, height: raw.height },
        };
      }
      const raw: RawImage = { pixels: frame.pixels, width: frame.width, height: frame.height, pixfmt: frame.pixfmt };
      return {
        raw,
        map: (b: readonly number[]) => toInput(b, frame.letterbox),
        whole: pictureRegion(frame.letterbox, frame.width, frame.height),
      };
    };
    return {
      async run(frame) {
        if (frame.final) return;
        const src = await sourceOf(frame);
        const result: ClassifyOutput = { image: null, detections: [] };
        if (o.target === 'image') result.image = await classify(src.raw, src.whole);
        else {
          const dets = frameDetections(frame);
          for (const [index, d] of dets.entries()) {
            if (result.detections.length >= o.max_crops) break;
            if (o.classes.length && !o.classes.includes(d.label)) continue;
            const region = regionOf(src.map(d.box), src.raw.width, src.raw.height);
            if (!region) continue;
            result.detections.push({ index, label: d.label, box: d.box, classes: await classify(src.raw, region) });
          }
        }
        frame.outputs[deps.stage ?? 'classify'] = result;
      },
    };
  },
});
