/**
 * @module Pure tensor preparation: interleaved 8-bit pixels (HWC) to a float32 NCHW or NHWC tensor
 * with channel order, scale, mean and std from the model's input spec. No I/O, so it is unit-tested
 * with exact values.
 */

export interface TensorSpec {
  layout: 'NCHW' | 'NHWC';
  /** Channel order the model expects; pixels arrive as RGB. */
  color: 'RGB' | 'BGR';
  /** Multiplier applied first (1/255 for 0..1 models, 1 for 0..255 models). */
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** Convert `count` RGB images of w x h packed back to back into one batch tensor. */
export function toTensor(rgb: Uint8Array, width: number, height: number, spec: TensorSpec, count = 1): Float32Array {
  const plane = width * height;
  if (rgb.length !== plane * 3 * count)
    throw new Error(`expected ${plane * 3 * count} bytes of RGB, got ${rgb.length}`);
  const out = new Float32Array(rgb.length);
  const order = spec.color === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let n = 0; n < count; n++) {
    const base = n * plane * 3;
    for (let c = 0; c < 3; c++) {
      const src = order[c]!;
      const mul = spec.scale / spec.std[c]!;
      const add = -spec.mean[c]! / spec.std[c]!;
      for (let i = 0; i < plane; i++) {
        const v = rgb[base + i * 3 + src]! * mul + add;
        if (spec.layout === 'NCHW') out[base + c * plane + i] = v;
        else out[base + i * 3 + c] = v;
      }
    }
  }
  return out;
}

/** L2-normalise in place (cosine similarity then equals the dot product); returns the vector. */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}

/** Softmax of a classifier's logits (numerically stable: the max is subtracted first). */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** The k highest scores with their indices, highest first. */
export function topK(scores: ArrayLike<number>, k: number): Array<{ index: number; score: number }> {
  const best: Array<{ index: number; score: number }> = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (best.length === k && s <= best[k - 1]!.score) continue;
    best.push({ index: i, score: s });
    best.sort((a, b) => b.score - a.score);
    if (best.length > k) best.pop();
  }
  return best;
}
