/**
 * @module NanoDet (GFL head) decoder: per stride, `cls_pred_stride_S` [1, N, classes] (already
 * sigmoided) and `dis_pred_stride_S` [1, N, 4 x bins]: each side's distance is the expectation of a
 * softmax over `bins` bins, times the stride, from the cell centre `(i + 0.5) * s - 0.5`. Boxes go back
 * through the letterbox, then NMS. Pure.
 */
import type { Detection, Letterbox } from './types';
import { unletterbox } from './types';
import { nms } from './nms';

export interface NanodetOptions {
  inputWidth: number;
  inputHeight: number;
  strides: number[];
  bins: number;
  scoreThreshold: number;
  nmsIou: number;
  labels: readonly string[];
  allow?: ReadonlySet<number>;
}

/** Expectation of softmax(v[off .. off+bins)) over the bin indices. */
export function distance(v: Float32Array, off: number, bins: number): number {
  let max = -Infinity;
  for (let i = 0; i < bins; i++) max = Math.max(max, v[off + i]!);
  let sum = 0;
  let acc = 0;
  for (let i = 0; i < bins; i++) {
    const e = Math.exp(v[off + i]! - max);
    sum += e;
    acc += e * i;
  }
  return acc / sum;
}

export function decodeNanodet(
  out: Record<string, { data: Float32Array; dims: number[] }>,
  lb: Letterbox,
  o: NanodetOptions,
): Detection[] {
  const dets: Detection[] = [];
  for (const s of o.strides) {
    const cls = out[`cls_pred_stride_${s}`];
    const dis = out[`dis_pred_stride_${s}`];
    if (!cls || !dis) throw new Error(`nanodet: missing outputs for stride ${s}`);
    const gw = Math.ceil(o.inputWidth / s);
    const n = cls.dims[1]!;
    const classes = cls.dims[2]!;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let c = -1;
      for (let k = 0; k < classes; k++) {
        if (o.allow && !o.allow.has(k)) continue;
        const p = cls.data[i * classes + k]!;
        if (p > best) {
          best = p;
          c = k;
        }
      }
      if (c < 0 || best < o.scoreThreshold) continue;
      const cx = ((i % gw) + 0.5) * s - 0.5;
      const cy = (Math.floor(i / gw) + 0.5) * s - 0.5;
      const base = i * 4 * o.bins;
      const [l, t, r, b] = [0, 1, 2, 3].map((side) => distance(dis.data, base + side * o.bins, o.bins) * s);
      dets.push({
        label: o.labels[c] ?? String(c),
        classId: c,
        score: best,
        box: unletterbox([cx - l!, cy - t!, cx + r!, cy + b!], lb),
      });
    }
  }
  return nms(dets, o.nmsIou);
}
