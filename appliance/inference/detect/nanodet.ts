/**
 * @module NanoDet (GFL head) decoder, as NanoDet's own `get_bboxes` and `multiclass_nms` do it: per
 * stride, `cls_pred_stride_S` [1, N, classes] (already sigmoided) and `dis_pred_stride_S` [1, N,
 * 4 x bins]: each side's distance is the expectation of a softmax over `bins` bins, times the
 * stride, from the cell centre `(i + 0.5) * s` (the legacy head's). Every class above the threshold
 * is a candidate of its anchor, not only the best (a person and the bicycle under them share one);
 * boxes are clamped to the input, go back through the letterbox, then class-wise NMS keeps the best
 * 100. Pure.
 */
import type { Detection, Letterbox } from './types';
import { unletterbox } from './types';
import { nms } from './nms';

/** NanoDet's multiclass_nms keeps at most this many boxes of an image. */
const MAX_DETECTIONS = 100;

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
    const clamp = (v: number, max: number) => Math.max(0, Math.min(max, v));
    for (let i = 0; i < n; i++) {
      let box: [number, number, number, number] | null = null;
      for (let k = 0; k < classes; k++) {
        if (o.allow && !o.allow.has(k)) continue;
        const p = cls.data[i * classes + k]!;
        if (p < o.scoreThreshold) continue;
        if (!box) {
          const cx = ((i % gw) + 0.5) * s;
          const cy = (Math.floor(i / gw) + 0.5) * s;
          const base = i * 4 * o.bins;
          const [l, t, r, b] = [0, 1, 2, 3].map((side) => distance(dis.data, base + side * o.bins, o.bins) * s);
          box = unletterbox(
            [
              clamp(cx - l!, o.inputWidth),
              clamp(cy - t!, o.inputHeight),
              clamp(cx + r!, o.inputWidth),
              clamp(cy + b!, o.inputHeight),
            ],
            lb,
          );
        }
        dets.push({ label: o.labels[k] ?? String(k), classId: k, score: p, box: [...box] });
      }
    }
  }
  return nms(dets, o.nmsIou, MAX_DETECTIONS);
}
