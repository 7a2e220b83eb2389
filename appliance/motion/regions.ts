/**
 * @module Where the detector should look on a frame with motion: model-sized regions around the motion
 * boxes and the moving objects, as Frigate's `get_cluster_region`/`get_region_from_grid` do. A region
 * is at least the model's input side (so what is in it is seen at the decode resolution, not shrunk
 * with the whole frame), grown around what it must hold, and kept inside the frame. Regions that
 * mostly overlap become one. When a region would cover most of the frame, or there are more than a
 * few (each is one detector call), the whole frame is one call and cheaper: null. Pure, in decode-frame pixels.
 */

/** [x1, y1, x2, y2] in pixels of the decoded frame. */
export type Box = readonly [number, number, number, number];

export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface RegionOptions {
  /** The model's input side: the smallest region. */
  side: number;
  /** Room around a box, as a share of its larger side. */
  margin: number;
  /** More regions than this: the whole frame instead. */
  maxRegions: number;
  /** A region covering more than this share of the frame: the whole frame instead (as cheap, and nothing cut). */
  maxShare: number;
}

export const REGION_DEFAULTS: Omit<RegionOptions, 'side'> = { margin: 0.25, maxRegions: 2, maxShare: 0.6 };

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

/** A region of at least `side` around a box, square where the frame allows, inside the frame. */
function around(b: Box, frameW: number, frameH: number, o: RegionOptions): Region {
  const bw = b[2] - b[0];
  const bh = b[3] - b[1];
  const s = Math.max(o.side, Math.ceil(Math.max(bw, bh) * (1 + 2 * o.margin)));
  const w = Math.min(s, frameW);
  const h = Math.min(s, frameH);
  const cx = (b[0] + b[2]) / 2;
  const cy = (b[1] + b[3]) / 2;
  return {
    x: Math.round(clamp(cx - w / 2, 0, frameW - w)),
    y: Math.round(clamp(cy - h / 2, 0, frameH - h)),
    w,
    h,
  };
}

const area = (r: Region) => r.w * r.h;

function overlap(a: Region, b: Region): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** The smallest region holding both. */
function union(a: Region, b: Region): Region {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

/** Does the region hold the box whole? */
const holds = (r: Region, b: Box) => b[0] >= r.x && b[1] >= r.y && b[2] <= r.x + r.w && b[3] <= r.y + r.h;

/**
 * The regions to run the detector on for these boxes (motion, and moving objects), or null when the
 * whole frame is the better call. No boxes: no regions.
 */
export function planRegions(boxes: readonly Box[], frameW: number, frameH: number, o: RegionOptions): Region[] | null {
  // The frame is no larger than one region: the whole frame is the region.
  if (frameW <= o.side && frameH <= o.side) return boxes.length ? null : [];
  const regions: Region[] = [];
  // Largest first, so a small box inside a big one's region adds nothing.
  const sorted = [...boxes].sort((a, b) => (b[2] - b[0]) * (b[3] - b[1]) - (a[2] - a[0]) * (a[3] - a[1]));
  for (const b of sorted) {
    if (regions.some((r) => holds(r, b))) continue;
    regions.push(around(b, frameW, frameH, o));
  }
  // Regions that mostly overlap (half of the smaller) are one detector call, not two.
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < regions.length; i++)
      for (let j = i + 1; j < regions.length; j++) {
        const [a, b] = [regions[i]!, regions[j]!];
        if (overlap(a, b) * 2 < Math.min(area(a), area(b))) continue;
        regions[i] = union(a, b);
        regions.splice(j, 1);
        merged = true;
        break outer;
      }
  }
  if (regions.length > o.maxRegions || regions.some((r) => area(r) > o.maxShare * frameW * frameH)) return null;
  return regions;
}
