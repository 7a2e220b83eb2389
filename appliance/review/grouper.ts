/**
 * @module Review items of one stream, as Frigate's review maintainer makes them: overlapping
 * activity is one item, from the first frame a tracked object is active to the last, ended once
 * nothing has been active for `gap_s` (or after `max_s`, when activity goes on and a new item
 * starts). An object that stands still (a parked car) stops being activity after `stationary_s`,
 * so it does not hold an item open for hours. Severity is `alert` when an object's label is an
 * alert label and, when alert zones are set, the object entered one; `detection` for the other
 * labels the config lets in; a detection item becomes an alert when such an object joins it.
 * Count events never make an item. Pure: frames in, messages out.
 */
import type { ReviewItem, ReviewMessage, Severity } from '../contracts/reviews';

export interface ReviewRules {
  alerts: { labels: string[]; zones: string[] };
  detections: { labels: string[]; zones: string[] };
  gap_s: number;
  max_s: number;
}

/** What the grouper needs of one analysed frame. */
export interface ActivityFrame {
  /** ms since the epoch. */
  ts: number;
  /** Tracked objects, with their box centre normalised to 0..1. */
  objects: Array<{
    trackId: number;
    label: string;
    cx: number;
    cy: number;
    subLabel?: string | null;
    text?: string | null;
  }>;
  events: Array<{ id: string; type: string; trackId: number | null; zone: string | null; imageId: string | null }>;
}

/** An object counts as still once its centre stays within this share of the frame for stationary_s. */
const STILL_RADIUS = 0.02;
const STATIONARY_S = 10;

interface TrackState {
  label: string;
  zones: Set<string>;
  /** Where and since when the object has stayed (its centre within STILL_RADIUS). */
  anchor: { cx: number; cy: number; since: number };
}

const matches = (list: string[], v: string) => list.length === 0 || list.includes(v);

export class ReviewGrouper {
  private item: ReviewItem | null = null;
  /** The open item's objects' sub-labels, by track: an object renamed by its classifier keeps one. */
  private subs = new Map<number, string>();
  /** The open item's objects' read text (plates), by track. */
  private texts = new Map<number, string>();
  private lastActive = 0;
  private readonly tracks = new Map<number, TrackState>();

  constructor(
    private readonly stream: string,
    private readonly rules: ReviewRules,
    private readonly newId: () => string,
  ) {}

  /** The severity an object brings to an item, or null when it is not review material. */
  private severityOf(t: TrackState): Severity | null {
    const { alerts, detections } = this.rules;
    const inZone = (zones: string[]) => zones.length === 0 || zones.some((z) => t.zones.has(z));
    if (alerts.labels.includes(t.label) && inZone(alerts.zones)) return 'alert';
    if (matches(detections.labels, t.label) && inZone(detections.zones)) return 'detection';
    return null;
  }

  /** Take one frame; answers the changes of the stream's item it made (new, update, end). */
  update(f: ActivityFrame): ReviewMessage[] {
    const out: ReviewMessage[] = [];
    for (const e of f.events) {
      if (e.trackId === null || !e.zone || e.type !== 'enter') continue;
      this.tracks.get(e.trackId)?.zones.add(e.zone);
    }
    const active: Array<{ id: number; t: TrackState; severity: Severity }> = [];
    const seen = new Set<number>();
    for (const o of f.objects) {
      seen.add(o.trackId);
      let t = this.tracks.get(o.trackId);
      if (!t) {
        t = { label: o.label, zones: new Set(), anchor: { cx: o.cx, cy: o.cy, since: f.ts } };
        this.tracks.set(o.trackId, t);
      }
      if (Math.hypot(o.cx - t.anchor.cx, o.cy - t.anchor.cy) > STILL_RADIUS)
        t.anchor = { cx: o.cx, cy: o.cy, since: f.ts };
      for (const e of f.events) if (e.trackId === o.trackId && e.zone && e.type === 'enter') t.zones.add(e.zone);
      const still = f.ts - t.anchor.since >= STATIONARY_S * 1000;
      const severity = this.severityOf(t);
      if (severity && !still) active.push({ id: o.trackId, t, severity });
    }
    for (const id of [...this.tracks.keys()]) if (!seen.has(id)) this.tracks.delete(id);

    const cur = this.item;
    if (cur && (f.ts - this.lastActive >= this.rules.gap_s * 1000 || f.ts - cur.start >= this.rules.max_s * 1000)) {
      out.push(this.close(this.lastActive));
    }
    if (!active.length) return out;
    this.lastActive = f.ts;
    const before = this.item ? structuredClone(this.item) : null;
    const it: ReviewItem = this.item ?? {
      id: this.newId(),
      stream: this.stream,
      start: f.ts,
      end: null,
      severity: 'detection',
      labels: [],
      sub_labels: [],
      texts: [],
      zones: [],
      tracks: [],
      events: [],
      thumb: null,
    };
    this.item = it;
    for (const a of active) {
      if (a.severity === 'alert') it.severity = 'alert';
      if (!it.labels.includes(a.t.label)) it.labels.push(a.t.label);
      for (const z of a.t.zones) if (!it.zones.includes(z)) it.zones.push(z);
      if (!it.tracks.includes(a.id)) it.tracks.push(a.id);
    }
    for (const o of f.objects) {
      if (!it.tracks.includes(o.trackId)) continue;
      if (o.subLabel) this.subs.set(o.trackId, o.subLabel);
      if (o.text) this.texts.set(o.trackId, o.text);
    }
    it.sub_labels = [...new Set(this.subs.values())];
    it.texts = [...new Set(this.texts.values())];
    for (const e of f.events) {
      if (e.type === 'count' || e.trackId === null || !it.tracks.includes(e.trackId)) continue;
      if (!it.events.includes(e.id)) it.events.push(e.id);
      it.thumb ??= e.imageId;
    }
    if (!before) out.push({ type: 'new', before: null, after: structuredClone(it) });
    else if (JSON.stringify(before) !== JSON.stringify(it))
      out.push({ type: 'update', before, after: structuredClone(it) });
    return out;
  }

  /** The open item, or null. */
  get open(): ReviewItem | null {
    return this.item;
  }

  /** Give the open item a thumbnail taken by the caller (when none of its events had a snapshot). */
  setThumb(id: string, imageId: string): ReviewMessage[] {
    const it = this.item;
    if (!it || it.id !== id || it.thumb) return [];
    const before = structuredClone(it);
    it.thumb = imageId;
    return [{ type: 'update', before, after: structuredClone(it) }];
  }

  /** End the open item (the stream stops, or the box): it ends at its last activity. */
  flush(): ReviewMessage[] {
    return this.item ? [this.close(this.lastActive)] : [];
  }

  private close(end: number): ReviewMessage {
    const before = structuredClone(this.item!);
    const after = { ...structuredClone(before), end: Math.max(end, before.start) };
    this.item = null;
    this.subs.clear();
    this.texts.clear();
    return { type: 'end', before, after };
  }
}
