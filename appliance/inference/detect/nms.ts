/** @module Intersection over union and class-aware non-maximum suppression. Pure. */
import type { Detection } from './types';

export function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

/** Keep the best box of each overlapping group of the same class; best first. */
export function nms(dets: Detection[], iouThreshold: number, maxDetections = 300): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.length >= maxDetections) break;
    if (kept.every((k) => k.classId !== d.classId || iou(k.box, d.box) <= iouThreshold)) kept.push(d);
  }
  return kept;
}
