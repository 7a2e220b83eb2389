/**
 * @module What is where on one stream, as Home Assistant's sensors show it: the confirmed tracks
 * per configured label, and per zone the tracks inside it (from the enter and leave events, so a
 * zone counts what the event stage says entered it). Every configured label and zone is always
 * present, at 0 when empty, so a template never meets a missing key. Pure.
 */
import type { HaState } from './discovery';

/** What occupancy needs of a frame the pipeline finished (a structural part of the pipeline's Frame). */
export interface FrameFacts {
  tracked: Array<{ label: string; trackId: number | null }>;
  events: Array<{ event: { type: string; label: string; zone?: string; trackId?: number } }>;
  endedTracks: number[];
}

export class Occupancy {
  /** Each track's zones now. */
  private inside = new Map<number, { label: string; zones: Set<string> }>();
  private current: HaState;
  private last: string;

  constructor(
    private readonly labels: string[],
    private readonly zones: string[],
    detect = true,
  ) {
    this.current = this.count([], detect);
    this.last = JSON.stringify(this.current);
  }

  /** The counts after this frame, or null when nothing changed. */
  update(f: FrameFacts, detect: boolean): HaState | null {
    for (const { event: e } of f.events) {
      if ((e.type !== 'enter' && e.type !== 'leave') || e.trackId === undefined || e.zone === undefined) continue;
      const t = this.inside.get(e.trackId) ?? { label: e.label, zones: new Set<string>() };
      if (e.type === 'enter') t.zones.add(e.zone);
      else t.zones.delete(e.zone);
      this.inside.set(e.trackId, t);
    }
    for (const id of f.endedTracks) this.inside.delete(id);
    return this.changed(this.count(f.tracked, detect));
  }

  /** The state as it is, with detection on or off (to publish at once when the switch moves). */
  now(detect: boolean): HaState {
    this.changed({ ...this.current, detect: detect ? 'ON' : 'OFF' });
    return this.current;
  }

  private changed(next: HaState): HaState | null {
    this.current = next;
    const text = JSON.stringify(next);
    if (text === this.last) return null;
    this.last = text;
    return next;
  }

  private count(tracked: FrameFacts['tracked'], detect: boolean): HaState {
    const counts = Object.fromEntries(this.labels.map((l) => [l, 0]));
    for (const t of tracked) if (t.trackId !== null && Object.hasOwn(counts, t.label)) counts[t.label]!++;
    const zones = Object.fromEntries(this.zones.map((z) => [z, Object.fromEntries(this.labels.map((l) => [l, 0]))]));
    // Only tracks in view now: one the tracker lost for a moment is in no count until it is seen again.
    const inView = new Set(tracked.flatMap((t) => (t.trackId === null ? [] : [t.trackId])));
    for (const [id, t] of this.inside)
      if (inView.has(id))
        for (const z of t.zones) if (zones[z] && Object.hasOwn(zones[z], t.label)) zones[z][t.label]!++;
    return { detect: detect ? 'ON' : 'OFF', counts, zones };
  }
}
