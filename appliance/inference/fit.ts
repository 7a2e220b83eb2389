/**
 * @module A part of a decoded frame fitted into a model's input: cut, scaled with bilinear sampling
 * (keeping the aspect ratio), placed top-left or centred, and padded; with the geometry that maps the
 * model's boxes back to the source frame through the frame's own letterbox. Regions of a frame larger
 * than the model's input are how a distant object reaches the model at the decode resolution. Pure.
 */
import type { Letterbox } from './detect/types';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface FitSpec {
  width: number;
  height: number;
  align: 'top-left' | 'center';
  pad: number;
}

export interface Fitted {
  pixels: Uint8Array;
  /** Model-input pixels per frame pixel. */
  scale: number;
  offsetX: number;
  offsetY: number;
}

/** Cut `r` out of a w x h interleaved 3-channel frame and fit it into the spec's input. */
export function fitRegion(src: Uint8Array, w: number, h: number, r: Rect, spec: FitSpec): Fitted {
  if (src.length !== w * h * 3) throw new Error(`expected ${w * h * 3} bytes, got ${src.length}`);
  const k = Math.min(spec.width / r.w, spec.height / r.h);
  const fw = Math.max(1, Math.min(spec.width, Math.round(r.w * k)));
  const fh = Math.max(1, Math.min(spec.height, Math.round(r.h * k)));
  const [ox, oy] =
    spec.align === 'center' ? [Math.floor((spec.width - fw) / 2), Math.floor((spec.height - fh) / 2)] : [0, 0];
  const out = new Uint8Array(spec.width * spec.height * 3).fill(spec.pad);
  // Each output column's two source columns (as byte offsets) and weight; rows alike.
  const x0 = new Int32Array(fw);
  const x1 = new Int32Array(fw);
  const wx = new Float32Array(fw);
  for (let u = 0; u < fw; u++) {
    const sx = Math.min(Math.max(r.x + (u + 0.5) / k - 0.5, 0), w - 1);
    const a = Math.floor(sx);
    x0[u] = a * 3;
    x1[u] = Math.min(a + 1, w - 1) * 3;
    wx[u] = sx - a;
  }
  for (let v = 0; v < fh; v++) {
    const sy = Math.min(Math.max(r.y + (v + 0.5) / k - 0.5, 0), h - 1);
    const b = Math.floor(sy);
    const wy = sy - b;
    const row0 = b * w * 3;
    const row1 = Math.min(b + 1, h - 1) * w * 3;
    let o = ((oy + v) * spec.width + ox) * 3;
    for (let u = 0; u < fw; u++) {
      const a0 = x0[u]!;
      const a1 = x1[u]!;
      const fx = wx[u]!;
      for (let c = 0; c < 3; c++) {
        const top = src[row0 + a0 + c]! + (src[row0 + a1 + c]! - src[row0 + a0 + c]!) * fx;
        const bottom = src[row1 + a0 + c]! + (src[row1 + a1 + c]! - src[row1 + a0 + c]!) * fx;
        out[o++] = top + (bottom - top) * wy + 0.5;
      }
    }
  }
  return { pixels: out, scale: k, offsetX: ox, offsetY: oy };
}

/**
 * From model-input pixels of a fitted region to source pixels: the region's scale and place composed
 * with the frame's letterbox (decode pixels to source).
 */
export function regionLetterbox(
  frame: Letterbox,
  r: Rect,
  f: Pick<Fitted, 'scale' | 'offsetX' | 'offsetY'>,
): Letterbox {
  const ry = frame.ratioY ?? frame.ratio;
  return {
    ratio: f.scale * frame.ratio,
    ratioY: f.scale * ry,
    padX: f.offsetX + f.scale * (frame.padX - r.x),
    padY: f.offsetY + f.scale * (frame.padY - r.y),
    srcWidth: frame.srcWidth,
    srcHeight: frame.srcHeight,
  };
}
