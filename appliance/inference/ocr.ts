/**
 * @module Reading text in a picture with a DB text detector and a CTC recogniser (PaddleOCR's pair):
 * the region is fitted into the detector (sides multiples of 32, the longer one `detSide`), its
 * probability map becomes text boxes (ocr/db.ts), and each box, cut from the source pixels at their
 * own resolution and fitted to the recogniser's 48 px height, is read (ocr/ctc.ts). Boxes come back
 * in source pixels. The models run here; what is decided about them is pure and tested apart.
 */
import { ctcGreedy } from '../ocr/ctc';
import { DB_DEFAULTS, textBoxes, type Box, type DbOptions } from '../ocr/db';
import type { Rect } from './fit';
import { toTensor, type TensorSpec } from './preprocess';
import type { InferenceSession } from './onnx-session';

export interface TextLine {
  text: string;
  /** The recogniser's mean character probability. */
  score: number;
  /** The detector's mean text probability over the box. */
  detScore: number;
  /** [x1, y1, x2, y2] in source pixels. */
  box: Box;
}

export interface TextModels {
  det: { session: InferenceSession; input: string; output: string; spec: TensorSpec };
  rec: { session: InferenceSession; input: string; output: string; spec: TensorSpec; height: number; maxWidth: number };
  /** The recogniser's characters: class i (from 1) is charset[i - 1]. */
  charset: readonly string[];
}

export interface ReadOptions {
  /** The detector's input: the region scaled so its longer side is this (a multiple of 32). */
  detSide: number;
  db: DbOptions;
  /** Lines read with a lower score are dropped. */
  minScore: number;
}

export const READ_DEFAULTS: ReadOptions = { detSide: 640, db: DB_DEFAULTS, minScore: 0.5 };

const up32 = (v: number) => Math.max(32, Math.round(v / 32) * 32);

/** The RGB pixels of a rectangle of the picture, stretched to w x h. */
export type Cut = (r: Rect, w: number, h: number) => Promise<Uint8Array>;

/** Read the text lines of `region` (source pixels) of a picture. */
export async function readText(
  m: TextModels,
  cut: Cut,
  region: Rect,
  o: ReadOptions = READ_DEFAULTS,
): Promise<TextLine[]> {
  const k0 = o.detSide / Math.max(region.w, region.h);
  const dw = up32(region.w * k0);
  const dh = up32(region.h * k0);
  const detOut = await m.det.session.run(
    { [m.det.input]: { data: toTensor(await cut(region, dw, dh), dw, dh, m.det.spec), dims: [1, 3, dh, dw] } },
    [m.det.output],
  );
  const map = detOut[m.det.output]!;
  const [mh, mw] = [map.dims[2]!, map.dims[3]!];
  const [kx, ky] = [region.w / mw, region.h / mh];
  const lines: TextLine[] = [];
  for (const t of textBoxes(map.data, mw, mh, o.db)) {
    const box: Box = [
      region.x + t.box[0] * kx,
      region.y + t.box[1] * ky,
      region.x + t.box[2] * kx,
      region.y + t.box[3] * ky,
    ];
    const r = { x: box[0], y: box[1], w: box[2] - box[0], h: box[3] - box[1] };
    if (r.w < 2 || r.h < 2) continue;
    const rh = m.rec.height;
    const rw = Math.min(m.rec.maxWidth, Math.max(16, Math.ceil((rh * r.w) / r.h / 8) * 8));
    const recOut = await m.rec.session.run(
      { [m.rec.input]: { data: toTensor(await cut(r, rw, rh), rw, rh, m.rec.spec), dims: [1, 3, rh, rw] } },
      [m.rec.output],
    );
    const p = recOut[m.rec.output]!;
    const read = ctcGreedy(p.data, p.dims[1]!, p.dims[2]!, m.charset);
    if (read.text.trim() && read.score >= o.minScore)
      lines.push({ text: read.text.trim(), score: read.score, detScore: t.score, box });
  }
  return lines;
}
