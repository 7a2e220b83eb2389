/** @module Detections: boxes in source-frame pixels, [x1, y1, x2, y2]. */

import type { Detection } from '../../contracts/results';

export type { Detection };

/**
 * How the model input relates to the source frame: scaled by `ratio` (and `ratioY` vertically when
 * the frame was stretched rather than letterboxed), shifted by the padding.
 */
export interface Letterbox {
  ratio: number;
  ratioY?: number;
  padX: number;
  padY: number;
  srcWidth: number;
  srcHeight: number;
}

/** The geometry of a w x h frame stretched to inW x inH (no padding, two scales). */
export function stretchOf(w: number, h: number, inW: number, inH: number): Letterbox {
  return { ratio: inW / w, ratioY: inH / h, padX: 0, padY: 0, srcWidth: w, srcHeight: h };
}

/** Map a box from source pixels to model-input pixels (the inverse of unletterbox). */
export function toInput(b: readonly number[], lb: Letterbox): [number, number, number, number] {
  const ry = lb.ratioY ?? lb.ratio;
  return [b[0]! * lb.ratio + lb.padX, b[1]! * ry + lb.padY, b[2]! * lb.ratio + lb.padX, b[3]! * ry + lb.padY];
}

/** The part of the model input that is picture, not padding. */
export function pictureRegion(
  lb: Letterbox,
  inW: number,
  inH: number,
): { left: number; top: number; width: number; height: number } {
  const ry = lb.ratioY ?? lb.ratio;
  return {
    left: lb.padX,
    top: lb.padY,
    width: Math.min(inW - lb.padX, Math.round(lb.srcWidth * lb.ratio)),
    height: Math.min(inH - lb.padY, Math.round(lb.srcHeight * ry)),
  };
}

/**
 * The letterbox geometry of a w x h frame fitted into an inW x inH input: the fitted size rounded
 * (ffmpeg's scale, for video) or truncated (a photo, resized as the models' own code does).
 */
export function letterboxOf(
  w: number,
  h: number,
  inW: number,
  inH: number,
  align: 'top-left' | 'center',
  size: 'round' | 'trunc' = 'round',
): Letterbox {
  const ratio = Math.min(inW / w, inH / h);
  const fit = size === 'round' ? Math.round : Math.floor;
  const [sw, sh] = [Math.max(1, fit(w * ratio)), Math.max(1, fit(h * ratio))];
  const [padX, padY] = align === 'center' ? [Math.floor((inW - sw) / 2), Math.floor((inH - sh) / 2)] : [0, 0];
  return { ratio, padX, padY, srcWidth: w, srcHeight: h };
}

/** Map a box from model-input pixels back to the source frame, clipped to it. */
export function unletterbox(b: [number, number, number, number], lb: Letterbox): [number, number, number, number] {
  const clip = (v: number, max: number) => Math.max(0, Math.min(max, v));
  const ry = lb.ratioY ?? lb.ratio;
  return [
    clip((b[0] - lb.padX) / lb.ratio, lb.srcWidth),
    clip((b[1] - lb.padY) / ry, lb.srcHeight),
    clip((b[2] - lb.padX) / lb.ratio, lb.srcWidth),
    clip((b[3] - lb.padY) / ry, lb.srcHeight),
  ];
}
