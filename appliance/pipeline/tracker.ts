/**
 * @module Multi-object tracker in the ByteTrack manner: confident detections are matched to tracks
 * first by IoU, then weak ones to the tracks still unmatched, so an occluded object keeps its id;
 * unmatched confident detections start tracks, and tracks unseen for `maxAge` frames end.
 * Greedy matching by IoU (best pair first) is exact enough at edge-box object counts. Pure.
 *
 * With motion gating the detector may not look at the whole frame (only at regions, or nowhere):
 * a track it did not look at is held where it was, neither aged nor lost, as Frigate keeps a
 * stationary object. Only a track the detector looked at and did not find ages.
 */
import { iou } from '../inference/detect/nms';
import type { Detection } from '../inference/detect/types';

export interface TrackerOptions {
  /** Detections at or above this start and keep tracks; below it they only keep existing ones. */
  highScore: number;
  lowScore: number;
  matchIou: number;
  /** Frames a track survives without a match. */
  maxAge: number;
  /** Matches before a track is reported (filters one-frame flickers). */
  minHits: number;
}

export interface Track {
  id: number;
  label: string;
  classId: number;
  box: [number, number, number, number];
  score: number;
  hits: number;
  age: number;
  firstSeen: number;
  lastSeen: number;
  /** Looks (or holds) in a row that its box stayed where it stopped (IoU ≥ STILL_IOU with `rest`). */
  still: number;
  /** Where the track last came to rest. */
  rest: [number, number, number, number];
}

/** A box that keeps this much overlap with where it stopped has not moved. */
export const STILL_IOU = 0.9;
/** Updates in a row without moving after which a track counts as stationary. */
export const STATIONARY_AFTER = 10;

/** Where the detector looked on a frame: undefined is the whole frame; [] is nowhere (the frame was skipped). */
export type Looked = ReadonlyArray<readonly [number, number, number, number]> | undefined;

/** Did the detector look where this box is (its centre in a looked region)? */
export function lookedAt(box: readonly number[], looked: Looked): boolean {
  if (looked === undefined) return true;
  const cx = (box[0]! + box[2]!) / 2;
  const cy = (box[1]! + box[3]!) / 2;
  return looked.some((r) => cx >= r[0] && cx <= r[2] && cy >= r[1] && cy <= r[3]);
}

export interface TrackUpdate {
  /** Detections with their track id (null: not confirmed yet). */
  tracked: Array<Detection & { trackId: number | null }>;
  /** Tracks confirmed on this frame. */
  started: Track[];
  /** Tracks that ended on this frame (not seen for maxAge frames). */
  ended: Track[];
  /** Confirmed tracks that are stationary now. */
  stationary: number;
}

export class Tracker {
  private tracks: Track[] = [];
  private nextId = 1;

  constructor(private readonly o: TrackerOptions) {}

  /** End every live track (the stream is over); returns the confirmed ones. */
  endAll(): Track[] {
    const all = this.tracks.filter((t) => t.hits >= this.o.minHits);
    this.tracks = [];
    return all;
  }

  get active(): readonly Track[] {
    return this.tracks;
  }

  /**
   * One frame's detections. `looked`: where the detector looked (undefined: everywhere); a confirmed
   * track outside it is held, reported at its last box, and does not age.
   */
  update(dets: Detection[], timestamp: number, looked?: Looked): TrackUpdate {
    const high = dets.filter((d) => d.score >= this.o.highScore);
    const low = dets.filter((d) => d.score < this.o.highScore && d.score >= this.o.lowScore);
    const matched = new Map<Detection, Track>();
    const free = new Set(this.tracks);
    for (const group of [high, low]) {
      const pairs: Array<[number, Detection, Track]> = [];
      for (const d of group)
        for (const t of free) {
          if (t.classId !== d.classId) continue;
          const v = iou(d.box, t.box);
          if (v >= this.o.matchIou) pairs.push([v, d, t]);
        }
      pairs.sort((a, b) => b[0] - a[0]);
      for (const [, d, t] of pairs) {
        if (matched.has(d) || !free.has(t)) continue;
        matched.set(d, t);
        free.delete(t);
      }
    }
    const started: Track[] = [];
    for (const [d, t] of matched) {
      const moved = iou(d.box, t.rest) < STILL_IOU;
      Object.assign(t, {
        box: d.box,
        score: d.score,
        hits: t.hits + 1,
        age: 0,
        lastSeen: timestamp,
        still: moved ? 0 : t.still + 1,
        rest: moved ? d.box : t.rest,
      });
      if (t.hits === this.o.minHits) started.push(t);
    }
    for (const d of high) {
      if (matched.has(d)) continue;
      const t: Track = {
        id: this.nextId++,
        label: d.label,
        classId: d.classId,
        box: d.box,
        score: d.score,
        hits: 1,
        age: 0,
        firstSeen: timestamp,
        lastSeen: timestamp,
        still: 0,
        rest: d.box,
      };
      this.tracks.push(t);
      matched.set(d, t);
      if (this.o.minHits <= 1) started.push(t);
    }
    const ended: Track[] = [];
    const held: Track[] = [];
    for (const t of free) {
      if (!lookedAt(t.box, looked)) {
        t.still += 1;
        if (t.hits >= this.o.minHits) held.push(t);
        continue;
      }
      t.age += 1;
      if (t.age > this.o.maxAge) ended.push(t);
    }
    this.tracks = this.tracks.filter((t) => !ended.includes(t));
    const tracked = dets.map((d) => {
      const t = matched.get(d);
      return { ...d, trackId: t && t.hits >= this.o.minHits ? t.id : null };
    });
    for (const t of held)
      tracked.push({ box: t.box, score: t.score, classId: t.classId, label: t.label, trackId: t.id });
    const stationary = this.tracks.filter((t) => t.hits >= this.o.minHits && t.still >= STATIONARY_AFTER).length;
    return { tracked, started, ended: ended.filter((t) => t.hits >= this.o.minHits), stationary };
  }
}
