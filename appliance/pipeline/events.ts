/**
 * @module Turns tracked objects into events: entered or left a zone, crossed a line, dwelled in a
 * zone longer than T, and the count per class when it changes. Each of enter, leave, dwell and
 * cross happens at most once per track and zone or line, so a box jittering on an edge does not
 * flood subscribers. Coordinates are normalised (0..1). Pure: state lives in the instance.
 */
import type { ObjectEvent, TrackEvent } from '../contracts/results';
import { anchorOf, crossing, inPolygon, type Point } from './geometry';

export interface Zone {
  name: string;
  polygon: Point[];
  labels?: string[];
  dwell_s?: number;
}
export interface Line {
  name: string;
  a: Point;
  b: Point;
  labels?: string[];
}
export interface EventRules {
  zones: Zone[];
  lines: Line[];
  count: boolean;
}

export interface TrackedObject {
  trackId: number;
  label: string;
  score: number;
  box: [number, number, number, number];
}

export type { ObjectEvent };

interface TrackState {
  anchor: Point;
  inside: Map<string, number>;
  fired: Set<string>;
  label: string;
}

const applies = (labels: string[] | undefined, label: string) =>
  !labels || labels.length === 0 || labels.includes(label);

export class EventEngine {
  private state = new Map<number, TrackState>();
  private counts = new Map<string, number>();

  constructor(
    private readonly rules: EventRules,
    private readonly frame: { width: number; height: number },
  ) {}

  /** Events of one frame: the objects seen on it, and the tracks that ended on it. */
  update(objects: TrackedObject[], endedTrackIds: number[], ts: number): TrackEvent[] {
    const events: TrackEvent[] = [];
    for (const o of objects) {
      const p = anchorOf(o.box, this.frame.width, this.frame.height);
      const s = this.state.get(o.trackId) ?? { anchor: p, inside: new Map(), fired: new Set(), label: o.label };
      const once = (key: string, e: TrackEvent) => {
        if (!s.fired.has(key)) {
          s.fired.add(key);
          events.push(e);
        }
      };
      for (const z of this.rules.zones) {
        if (!applies(z.labels, o.label)) continue;
        const now = inPolygon(p, z.polygon);
        const was = s.inside.has(z.name);
        if (now && !was) {
          s.inside.set(z.name, ts);
          once(`enter:${z.name}`, { type: 'enter', zone: z.name, trackId: o.trackId, label: o.label, ts });
        }
        if (!now && was) {
          s.inside.delete(z.name);
          once(`leave:${z.name}`, { type: 'leave', zone: z.name, trackId: o.trackId, label: o.label, ts });
        }
        const since = s.inside.get(z.name);
        if (z.dwell_s !== undefined && since !== undefined && ts - since >= z.dwell_s) {
          once(`dwell:${z.name}`, {
            type: 'dwell',
            zone: z.name,
            trackId: o.trackId,
            label: o.label,
            ts,
            seconds: z.dwell_s,
          });
        }
      }
      if (this.state.has(o.trackId)) {
        for (const l of this.rules.lines) {
          if (!applies(l.labels, o.label)) continue;
          const dir = crossing(s.anchor, p, l.a, l.b);
          if (dir !== 0)
            once(`cross:${l.name}`, {
              type: 'cross',
              line: l.name,
              direction: dir > 0 ? 'left_to_right' : 'right_to_left',
              trackId: o.trackId,
              label: o.label,
              ts,
            });
        }
      }
      s.anchor = p;
      this.state.set(o.trackId, s);
    }
    for (const id of endedTrackIds) {
      const s = this.state.get(id);
      if (!s) continue;
      // A track that vanishes inside a zone has left it (walked out of view, or occluded for good).
      for (const zone of s.inside.keys()) {
        if (!s.fired.has(`leave:${zone}`)) events.push({ type: 'leave', zone, trackId: id, label: s.label, ts });
      }
      this.state.delete(id);
    }
    if (this.rules.count) events.push(...this.countChanges(objects, ts));
    return events;
  }

  private countChanges(objects: TrackedObject[], ts: number): TrackEvent[] {
    const now = new Map<string, number>();
    for (const o of objects) now.set(o.label, (now.get(o.label) ?? 0) + 1);
    const out: TrackEvent[] = [];
    for (const label of new Set([...now.keys(), ...this.counts.keys()])) {
      const c = now.get(label) ?? 0;
      if (c !== (this.counts.get(label) ?? 0)) out.push({ type: 'count', label, count: c, ts });
    }
    this.counts = now;
    return out;
  }
}
