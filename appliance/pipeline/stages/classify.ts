/**
 * @module `classify@1`: a classifier from the catalog (MobileNetV2 with its ImageNet labels by
 * default) on the whole picture or on each detection's crop: top-k labels and scores, on the frame
 * (`outputs.<stage>`) and on each detection (`classes`). On a photo the crops come from the original
 * at full resolution; on a video frame from the model-size picture.
 *
 * `model: custom/<name>` runs a classifier trained on the box (docs/classifiers.md): each crop is
 * embedded with the embedding model its card names, cut as that model cuts a photo (the centre
 * square of the short side's crop fraction), and its head gives the classes. The head's kind picks
 * what is cut: an object head takes the detections of its label (or of `classes`), a state head its
 * region of the picture. A head made for another embedding model is refused, naming both.
 */
import { Type } from '@sinclair/typebox';
import { defineStage, frameDetections, type Frame } from '../types';
import { softmax, toTensor, topK } from '../../inference/preprocess';
import { pictureRegion, toInput } from '../../inference/detect/types';
import type { RawImage, Region } from '../../imaging/port';
import { AppError } from '../../shared/errors';
import { l2normalize } from '../../inference/preprocess';
import { findModel, refOf, type ModelEntry } from '../../models/catalog';
import type { ModelPool } from '../models';
import type { Imaging } from '../../imaging/port';

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

/** The picture to crop from, and how a detection box maps into it. */
async function sourceOf(frame: Frame, imaging: Imaging) {
  if (frame.photo) {
    const raw = await imaging.decodeRaw(frame.photo, 1e9);
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
}

/** Give the frame's detection `index` (tracked, or untracked) its sub-label. */
function subLabelOf(frame: Frame, index: number, sub: Classified): void {
  const d = frame.tracked.length > 0 || frame.detections.length === 0 ? frame.tracked[index] : frame.detections[index];
  if (d) d.subLabel = { label: sub.label, score: sub.score };
}

/** The centre of a region that a centre-crop model keeps of a photo: `keep` of its short side, square. */
export function centreCrop(r: Region, keep: number): Region {
  const side = Math.max(1, Math.round(Math.min(r.width, r.height) * keep));
  return {
    left: r.left + Math.floor((r.width - side) / 2),
    top: r.top + Math.floor((r.height - side) / 2),
    width: side,
    height: side,
  };
}

/** A head trained on the box (`custom/<name>`): its card, and what classifies a region. */
async function customHead(
  model: string,
  deps: { models: ModelPool; imaging: Imaging },
  keepScore: (probs: Float32Array) => Classified[],
) {
  const h = await deps.models.head(model.slice('custom/'.length));
  let entry: ModelEntry;
  try {
    entry = findModel(deps.models.catalog, h.card.embedding_model);
  } catch {
    throw new AppError(
      'config_invalid',
      `classify: ${model} was trained on ${h.card.embedding_model} embeddings, which this box's catalog does not have`,
    );
  }
  if (h.card.embedding_sha256 && entry.sha256 && h.card.embedding_sha256 !== entry.sha256)
    throw new AppError(
      'config_invalid',
      `classify: ${model} was made for ${h.card.embedding_model} (sha256 ${h.card.embedding_sha256.slice(0, 12)}…); this box's ${refOf(entry)} is ${entry.sha256.slice(0, 12)}…`,
    );
  const em = await deps.models.get(refOf(entry));
  const { input } = em.entry;
  const outName = em.entry.output.name || em.session.outputNames[0]!;
  const keep = input.resize === 'center-crop' && input.short_side ? input.width / input.short_side : 1;
  const dims = input.layout === 'NCHW' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
  const classify = async (img: RawImage, region: Region): Promise<Classified[]> => {
    const rgb = await deps.imaging.rawRegionRgb(img, centreCrop(region, keep), input.width, input.height);
    const out = await em.session.run(
      { [input.name]: { data: toTensor(rgb, input.width, input.height, input), dims } },
      [outName],
    );
    const embedding = l2normalize(Float32Array.from(out[outName]!.data as Float32Array));
    const p = await h.session.run({ embedding: { data: embedding, dims: [1, embedding.length] } }, ['probs']);
    return keepScore(p.probs!.data as Float32Array).map((c) => ({
      label: h.card.classes[Number(c.label)] ?? c.label,
      score: c.score,
    }));
  };
  return { card: h.card, classify };
}

export const classifyStage = defineStage({
  type: 'classify',
  version: 1,
  concurrent: true,
  description: 'Classify the whole picture or each detection crop: top-k labels and scores.',
  options: Type.Object(
    {
      model: Type.String({
        default: 'mobilenetv2-classify@1',
        description:
          'Catalog id@version of a classifier, or custom/<name>: a head trained on this box (docs/classifiers.md).',
      }),
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
      every_s: Type.Number({
        default: 1,
        minimum: 0,
        description:
          'custom/ heads on video: seconds between two classifications of the same tracked object (its sub-label is the best class it was given).',
      }),
    },
    { additionalProperties: false },
  ),
  async create(o, deps) {
    const keepScore = (probs: Float32Array): Classified[] =>
      topK(probs, o.top_k)
        .filter((c) => c.score >= o.min_score)
        .map((c) => ({ label: String(c.index), score: Math.round(c.score * 1e4) / 1e4 }));
    if (o.model.startsWith('custom/')) {
      const head = await customHead(o.model, deps, keepScore);
      const labels = o.classes.length ? o.classes : head.card.object_label ? [head.card.object_label] : [];
      // Each track's sub-label (its best class so far) and when it was last classified.
      const tracks = new Map<number, { sub: Classified; at: number }>();
      return {
        async run(frame) {
          for (const id of frame.endedTracks) tracks.delete(id);
          if (frame.final) return;
          const src = await sourceOf(frame, deps.imaging);
          const result: ClassifyOutput = { image: null, detections: [] };
          if (head.card.kind === 'state' && head.card.region) {
            const [x1, y1, x2, y2] = head.card.region;
            const w = src.whole;
            const region = regionOf(
              [w.left + x1 * w.width, w.top + y1 * w.height, w.left + x2 * w.width, w.top + y2 * w.height],
              src.raw.width,
              src.raw.height,
            );
            if (region) result.image = await head.classify(src.raw, region);
          } else
            for (const [index, d] of frameDetections(frame).entries()) {
              if (labels.length && !labels.includes(d.label)) continue;
              const known = d.trackId === null ? undefined : tracks.get(d.trackId);
              const due = !known || frame.ptsS - known.at >= o.every_s;
              if (due && result.detections.length < o.max_crops) {
                const region = regionOf(src.map(d.box), src.raw.width, src.raw.height);
                if (!region) continue;
                const classes = await head.classify(src.raw, region);
                result.detections.push({ index, label: d.label, box: d.box, classes });
                const top = classes[0];
                const best = known && (!top || known.sub.score >= top.score) ? known.sub : top;
                if (d.trackId !== null && best) tracks.set(d.trackId, { sub: best, at: frame.ptsS });
                if (best) subLabelOf(frame, index, best);
              } else if (known) subLabelOf(frame, index, known.sub);
            }
          frame.outputs[deps.stage ?? 'classify'] = result;
        },
      };
    }
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
      return keepScore(probs).map((c) => ({ label: m.labels[Number(c.label)] ?? c.label, score: c.score }));
    };
    return {
      async run(frame) {
        if (frame.final) return;
        const src = await sourceOf(frame, deps.imaging);
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
