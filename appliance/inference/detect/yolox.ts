/**
 * @module YOLOX output decoder: [1, N, 5 + classes] over the strides' grids, `cx = (x + gx) * s`,
 * `w = exp(w) * s`, score = objectness x class probability (both already sigmoided by the export),
 * boxes mapped back through the letterbox, then NMS. Pure.
 */
import type { Detection, Letterbox } from './types';
import { unletterbox } from './types';
import { nms } from './nms';

export interface YoloxOptions {
  inputWidth: number;
  inputHeight: number;
  strides: number[];
  scoreThreshold: number;
  nmsIou: number;
  labels: readonly string[];
  /** When given, only these class ids are kept. */
  allow?: ReadonlySet<number>;
}

export function decodeYolox(out: Float32Array, dims: readonly number[], lb: Letterbox, o: YoloxOptions): Detection[] {
  const stride = dims[2]!;
  const classes = stride - 5;
  const dets: Detection[] = [];
  let i = 0;
  for (const s of o.strides) {
    const gw = Math.floor(o.inputWidth / s);
    const gh = Math.floor(o.inputHeight / s);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, i++) {
        const base = i * stride;
        const obj = out[base + 4]!;
        if (obj < o.scoreThreshold) continue;
        let best = 0;
        let cls = -1;
        for (let c = 0; c < classes; c++) {
          if (o.allow && !o.allow.has(c)) continue;
          const p = out[base + 5 + c]!;
          if (p > best) {
            best = p;
            cls = c;
          }
        }
        const score = obj * best;
        if (cls < 0 || score < o.scoreThreshold) continue;
        const cx = (out[base]! + gx) * s;
        const cy = (out[base + 1]! + gy) * s;
        const w = Math.exp(out[base + 2]!) * s;
        const h = Math.exp(out[base + 3]!) * s;
        dets.push({
          label: o.labels[cls] ?? String(cls),
          classId: cls,
          score,
          box: unletterbox([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], lb),
        });
      }
    }
  }
  if (i !== dims[1]) throw new Error(`yolox: the strides cover ${i} anchors, the output has ${dims[1]}`);
  return nms(dets, o.nmsIou);
}
