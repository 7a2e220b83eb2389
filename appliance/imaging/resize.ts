/**
 * @module Bilinear resize of packed 8-bit pixels as OpenCV's `cv2.resize(…, INTER_LINEAR)` does it,
 * which is how YOLOX and NanoDet prepared their training and evaluation images: each output pixel
 * samples the four source pixels around `(x + 0.5) * scale - 0.5`, clamped at the edges, with no
 * smoothing on a shrink. sharp's `linear` kernel widens its support when it shrinks (it smooths)
 * and fovea measured what that costs the detectors (issue 29: -0.3 AP on YOLOX). Pure.
 */

/** Resize `src` (w x h, `channels` interleaved) to dw x dh. */
export function resizeBilinear(
  src: Uint8Array,
  w: number,
  h: number,
  channels: number,
  dw: number,
  dh: number,
): Uint8Array {
  const out = new Uint8Array(dw * dh * channels);
  const sx = w / dw;
  const sy = h / dh;
  // Per output column: the left source column and its weight (the right one gets 1 - that).
  const x0 = new Int32Array(dw);
  const x1 = new Int32Array(dw);
  const ax = new Float64Array(dw);
  for (let x = 0; x < dw; x++) {
    const [i0, i1, a] = tap((x + 0.5) * sx - 0.5, w);
    x0[x] = i0 * channels;
    x1[x] = i1 * channels;
    ax[x] = a;
  }
  // Each output row blends two source rows, each first blended across (rows kept while reused).
  const across = (j: number, into: Float64Array) => {
    const r = j * w * channels;
    for (let x = 0, o = 0; x < dw; x++) {
      const a = ax[x]!;
      const p0 = r + x0[x]!;
      const p1 = r + x1[x]!;
      for (let c = 0; c < channels; c++, o++) into[o] = src[p0 + c]! * (1 - a) + src[p1 + c]! * a;
    }
  };
  let rowA = new Float64Array(dw * channels);
  let rowB = new Float64Array(dw * channels);
  let [haveA, haveB] = [-1, -1];
  for (let y = 0; y < dh; y++) {
    const [j0, j1, b] = tap((y + 0.5) * sy - 0.5, h);
    if (haveA !== j0) {
      if (haveB === j0) {
        [rowA, rowB] = [rowB, rowA];
        [haveA, haveB] = [haveB, haveA];
      } else {
        across(j0, rowA);
        haveA = j0;
      }
    }
    if (haveB !== j1) {
      across(j1, rowB);
      haveB = j1;
    }
    const o = y * dw * channels;
    // Math.round for the values here (all >= 0) is floor(v + 0.5).
    for (let i = 0; i < dw * channels; i++) out[o + i] = Math.floor(rowA[i]! * (1 - b) + rowB[i]! * b + 0.5);
  }
  return out;
}

/** The two source indices around a fractional position and the weight of the second, clamped as OpenCV does. */
function tap(f: number, n: number): [number, number, number] {
  let i = Math.floor(f);
  let a = f - i;
  if (i < 0) {
    i = 0;
    a = 0;
  }
  if (i >= n - 1) {
    i = n - 1;
    a = 0;
  }
  return [i, Math.min(i + 1, n - 1), a];
}

/** The size a w x h picture takes inside inW x inH, keeping its aspect, truncated as the models' own code does. */
export function fittedSize(w: number, h: number, inW: number, inH: number): { width: number; height: number } {
  const r = Math.min(inW / w, inH / h);
  return { width: Math.max(1, Math.floor(w * r)), height: Math.max(1, Math.floor(h * r)) };
}
