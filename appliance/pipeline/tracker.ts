/**
 * @module Multi-object tracker in the ByteTrack manner: confident detections are matched to tracks
 * first by IoU, then weak ones to the tracks still unmatched, so an occluded object keeps its id;
 * unmatched confident detections start tracks, and tracks unseen for `maxAge` frames end.
 * Greedy matching by IoU (best pair first) is exact enough at edge-box object counts. Pure.
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
}

export interface TrackUpdate {
  /** Detections with their track id (null: not confirmed yet). */
  tracked: Array<Detection & { trackId: number | null }>;
  /** Tracks confirmed on this frame. */
  started: Track[];
  /** Tracks that ended on this frame (not seen for maxAge frames). */
  ended: Track[];
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

  update(dets: Detection[], timestamp: number): TrackUpdate {
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
      Object.assign(t, { box: d.box, score: d.score, hits: t.hits + 1, age: 0, lastSeen: timestamp });
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
      };
      this.tracks.push(t);
      matched.set(d, t);
      if (this.o.minHits <= 1) started.push(t);
    }
    const ended: Track[] = [];
    for (const t of free) {
      t.age += 1;
      if (t.age > this.o.maxAge) ended.push(t);
    }
    this.tracks = this.tracks.filter((t) => !ended.includes(t));
    const tracked = dets.map((d) => {
      const t = matched.get(d);
      return { ...d, trackId: t && t.hits >= this.o.minHits ? t.id : null };
    });
    return { tracked, started, ended: ended.filter((t) => t.hits >= this.o.minHits) };
  }
}
