/**
 * @module What the stages that run crops share: a box's region inside a picture, the picture a frame
 * is cut from (a photo's original, or the decoded frame), and a classifier head trained on the box
 * (`custom/<name>`, docs/classifiers.md): its card, checked against this box's embedding model, and
 * what classifies a region with it (cut as the embedding model cuts a photo, embedded, the head run).
 */
import { frameObject, type Frame } from '../types';
import { l2normalize, toTensor } from '../../inference/preprocess';
import { pictureRegion, toInput } from '../../inference/detect/types';
import type { Imaging, RawImage, Region } from '../../imaging/port';
import { AppError } from '../../shared/errors';
import { findModel, refOf, type ModelEntry } from '../../models/catalog';
import type { ModelPool } from '../models';
import { dirname, join } from 'node:path';

export interface Classified {
  label: string;
  score: number;
}

/** The region of a box inside an image, clipped, at least 1 pixel; null when it falls outside. */
export function regionOf(box: readonly number[], w: number, h: number): Region | null {
  const left = Math.max(0, Math.floor(box[0]!));
  const top = Math.max(0, Math.floor(box[1]!));
  const right = Math.min(w, Math.ceil(box[2]!));
  const bottom = Math.min(h, Math.ceil(box[3]!));
  return right - left >= 1 && bottom - top >= 1 ? { left, top, width: right - left, height: bottom - top } : null;
}

/** A box given as 0–1 of the picture ([x1, y1, x2, y2]), in the pixels of the picture's `whole` region. */
export const fractionBox = (whole: Region, f: readonly number[]): [number, number, number, number] => [
  whole.left + f[0]! * whole.width,
  whole.top + f[1]! * whole.height,
  whole.left + f[2]! * whole.width,
  whole.top + f[3]! * whole.height,
];

/** The picture to crop from, and how a detection box maps into it. */
export async function sourceOf(frame: Frame, imaging: Imaging) {
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
export function subLabelOf(frame: Frame, index: number, sub: Classified): void {
  const d = frameObject(frame, index);
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
export async function customHead(
  model: string,
  deps: { models: ModelPool; imaging: Imaging; pipelineDir?: string },
  keepScore: (probs: Float32Array) => Classified[],
) {
  // A fleet revision's classifiers sit beside its pipelines; the box's own come after them.
  const h = await deps.models.head(
    model.slice('custom/'.length),
    deps.pipelineDir ? [join(dirname(deps.pipelineDir), 'classifiers')] : [],
  );
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
