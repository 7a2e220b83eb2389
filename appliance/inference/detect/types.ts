/** @module Detections: boxes in source-frame pixels, [x1, y1, x2, y2]. */

export interface Detection {
  label: string;
  classId: number;
  score: number;
  box: [number, number, number, number];
}

/** How the model input relates to the source frame: scaled by `ratio`, shifted by the padding. */
export interface Letterbox { ratio: number; padX: number; padY: number; srcWidth: number; srcHeight: number }

/** The letterbox geometry of a w x h frame fitted into an inW x inH input. */
export function letterboxOf(w: number, h: number, inW: number, inH: number, align: 'top-left' | 'center'): Letterbox {
  const ratio = Math.min(inW / w, inH / h);
  const [sw, sh] = [Math.round(w * ratio), Math.round(h * ratio)];
  const [padX, padY] = align === 'center' ? [Math.floor((inW - sw) / 2), Math.floor((inH - sh) / 2)] : [0, 0];
  return { ratio, padX, padY, srcWidth: w, srcHeight: h };
}

/** Map a box from model-input pixels back to the source frame, clipped to it. */
export function unletterbox(b: [number, number, number, number], lb: Letterbox): [number, number, number, number] {
  const clip = (v: number, max: number) => Math.max(0, Math.min(max, v));
  return [
    clip((b[0] - lb.padX) / lb.ratio, lb.srcWidth), clip((b[1] - lb.padY) / lb.ratio, lb.srcHeight),
    clip((b[2] - lb.padX) / lb.ratio, lb.srcWidth), clip((b[3] - lb.padY) / lb.ratio, lb.srcHeight),
  ];
}
