/**
 * @module What a shadow pipeline changes, measured on the frames both pipelines saw: detections per
 * class on each side, boxes matched one to one within a class by IoU (greedy, best pair first, at
 * least MATCH_IOU, as detection benchmarks match), events by type and label on each side with what
 * the shadow gains and loses, and the milliseconds each side spent. Pure: tallies in, a report out.
 */
import { iou } from '../inference/detect/nms';
import type { Comparison } from '../contracts/shadow';

export type { Comparison };

/** Two boxes of one class are the same object at this IoU or more (the PASCAL VOC threshold). */
export const MATCH_IOU = 0.5;

export interface SideFrame {
  detections: Array<{ label: string; box: readonly number[] }>;
  events: Array<{ type: string; label: string }>;
  /** Milliseconds the pipeline spent on this frame. */
  ms: number;
}

export interface Tally {
  frames: number;
  detections: { live: Record<string, number>; shadow: Record<string, number> };
  events: { live: Record<string, number>; shadow: Record<string, number> };
  matched: number;
  liveOnly: number;
  shadowOnly: number;
  iouSum: number;
  ms: { live: number; shadow: number };
}

export const emptyTally = (): Tally => ({
  frames: 0,
  detections: { live: {}, shadow: {} },
  events: { live: {}, shadow: {} },
  matched: 0,
  liveOnly: 0,
  shadowOnly: 0,
  iouSum: 0,
  ms: { live: 0, shadow: 0 },
});

const bump = (into: Record<string, number>, key: string, n = 1) => {
  into[key] = (into[key] ?? 0) + n;
};

/** Greedy one-to-one matching within each class: the pairs (by IoU) and what is left on each side. */
export function matchBoxes(
  live: SideFrame['detections'],
  shadow: SideFrame['detections'],
): { pairs: number[]; liveOnly: number; shadowOnly: number } {
  const candidates: Array<{ i: number; j: number; v: number }> = [];
  for (const [i, a] of live.entries())
    for (const [j, b] of shadow.entries()) {
      if (a.label !== b.label) continue;
      const v = iou(a.box, b.box);
      if (v >= MATCH_IOU) candidates.push({ i, j, v });
    }
  candidates.sort((x, y) => y.v - x.v);
  const usedL = new Set<number>();
  const usedS = new Set<number>();
  const pairs: number[] = [];
  for (const c of candidates) {
    if (usedL.has(c.i) || usedS.has(c.j)) continue;
    usedL.add(c.i);
    usedS.add(c.j);
    pairs.push(c.v);
  }
  return { pairs, liveOnly: live.length - pairs.length, shadowOnly: shadow.length - pairs.length };
}

/** Add one frame both sides finished (the end of a file, no picture, adds its events but is not a frame). */
export function addFrame(t: Tally, live: SideFrame, shadow: SideFrame, final = false): Tally {
  if (!final) t.frames++;
  for (const d of live.detections) bump(t.detections.live, d.label);
  for (const d of shadow.detections) bump(t.detections.shadow, d.label);
  for (const e of live.events) bump(t.events.live, `${e.type} ${e.label}`);
  for (const e of shadow.events) bump(t.events.shadow, `${e.type} ${e.label}`);
  const m = matchBoxes(live.detections, shadow.detections);
  t.matched += m.pairs.length;
  t.liveOnly += m.liveOnly;
  t.shadowOnly += m.shadowOnly;
  t.iouSum += m.pairs.reduce((a, b) => a + b, 0);
  t.ms.live += live.ms;
  t.ms.shadow += shadow.ms;
  return t;
}

/** Events (or detections) the shadow has more of (gained) and fewer of (lost), by key. */
export function gainedLost(
  live: Record<string, number>,
  shadow: Record<string, number>,
): { gained: Record<string, number>; lost: Record<string, number> } {
  const gained: Record<string, number> = {};
  const lost: Record<string, number> = {};
  for (const k of [...new Set([...Object.keys(live), ...Object.keys(shadow)])].sort()) {
    const d = (shadow[k] ?? 0) - (live[k] ?? 0);
    if (d > 0) gained[k] = d;
    if (d < 0) lost[k] = -d;
  }
  return { gained, lost };
}

const round = (v: number, places = 3) => Math.round(v * 10 ** places) / 10 ** places;

export function compare(t: Tally): Comparison {
  const all = t.matched + t.liveOnly + t.shadowOnly;
  return {
    frames: t.frames,
    detections: structuredClone(t.detections),
    events: { ...structuredClone(t.events), ...gainedLost(t.events.live, t.events.shadow) },
    boxes: {
      matched: t.matched,
      live_only: t.liveOnly,
      shadow_only: t.shadowOnly,
      agreement: all ? round((2 * t.matched) / (2 * t.matched + t.liveOnly + t.shadowOnly)) : null,
      mean_iou: t.matched ? round(t.iouSum / t.matched) : null,
    },
    ms_per_frame: {
      live: t.frames ? round(t.ms.live / t.frames, 2) : null,
      shadow: t.frames ? round(t.ms.shadow / t.frames, 2) : null,
    },
  };
}

/**
 * Whether the shadow runs at `atMs`: time is cut into periods of segment_s / sample, and the shadow
 * runs the first segment_s of each. Contiguous segments, not every n-th frame: a tracker needs
 * consecutive frames, so the shadow's events are comparable with the live ones in the same span.
 */
export function sampled(atMs: number, sample: number, segmentS: number): { on: boolean; segment: number } {
  if (sample >= 1) return { on: true, segment: 0 };
  const period = (segmentS * 1000) / sample;
  const segment = Math.floor(atMs / period);
  return { on: atMs - segment * period < segmentS * 1000, segment };
}
