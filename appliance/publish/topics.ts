/**
 * @module MQTT topics and payloads, following the conventions Frigate users already wire into home
 * automation: `fovea/<device>/events` (new/update/end with before/after), per-stream detections,
 * a retained count per label, a retained `available` with `offline` as the Last Will, and stats.
 * Pure: what to publish, never how.
 */
import type { Message } from '../contracts/messages';
import type { ReviewItem, ReviewMessage } from '../contracts/reviews';

export type { Message };

/** MQTT topic levels may not contain wildcards or separators; ids are validated elsewhere, this is a guard. */
export function level(s: string): string {
  // NUL is a separator too; matched by code point so the pattern holds no control character.
  return s.replace(/[#+/]/g, '_').replaceAll(String.fromCharCode(0), '_');
}

export const topics = (prefix: string, device: string) => {
  const base = `${level(prefix)}/${level(device)}`;
  return {
    events: `${base}/events`,
    detections: (stream: string) => `${base}/${level(stream)}/detections`,
    count: (stream: string, label: string) => `${base}/${level(stream)}/${level(label)}`,
    available: `${base}/available`,
    /** Retained: a stream's state for Home Assistant (detection on or off, counts per label and zone). */
    haState: (stream: string) => `${base}/${level(stream)}/ha/state`,
    /** Retained: a stream's latest snapshot, a base64 JPEG (Home Assistant's camera). */
    haSnapshot: (stream: string) => `${base}/${level(stream)}/ha/snapshot`,
    /** ON or OFF here switches a stream's detection (Frigate's `<camera>/detect/set`). */
    detectSet: (stream: string) => `${base}/${level(stream)}/detect/set`,
    /** Review items: new, update and end with before and after (Frigate's `frigate/reviews`). */
    reviews: `${base}/reviews`,
    stats: `${base}/stats`,
    /** A pipeline run's progress: runProgress and step messages. */
    run: (id: string) => `${base}/runs/${level(id)}`,
    /** Retained: the shadow pipelines' reports, sent when a report window closes. */
    shadow: `${base}/shadow`,
    /** Retained: the fleet agent's status (revision applied and desired, state, last error). */
    fleet: `${base}/fleet`,
    /** Any message here makes the box fetch its fleet repo now. */
    fleetSync: `${base}/fleet/sync`,
    /** The same for every box under the prefix (a fleet repo's post-receive hook publishes here). */
    fleetSyncAll: `${level(prefix)}/fleet/sync`,
  };
};

export type Topics = ReturnType<typeof topics>;

export interface TrackedObjectState {
  id: string;
  stream: string;
  label: string;
  score: number;
  box: number[];
  zones: string[];
  track_id: number;
  snapshot_url: string | null;
  /** Frigate's `sub_label`: [name, score] from a classifier trained on the box, or null. */
  sub_label: [string, number] | null;
  /** Frigate's `recognized_license_plate` and its score: the text ocr@1 read on the object, or null. */
  recognized_license_plate: string | null;
  recognized_license_plate_score: number | null;
}

/** The events topic payload: Frigate's shape (`type`, `before`, `after`) plus fovea's own event. */
export function eventMessage(
  t: ReturnType<typeof topics>,
  type: 'new' | 'update' | 'end',
  before: TrackedObjectState | null,
  after: TrackedObjectState,
  qos: 0 | 1 | 2,
  revision: string | null,
): Message {
  return {
    topic: t.events,
    payload: JSON.stringify({ type, before, after, revision }),
    qos,
    retain: false,
    kind: 'event',
  };
}

export function countMessage(
  t: ReturnType<typeof topics>,
  stream: string,
  label: string,
  count: number,
  qos: 0 | 1 | 2,
): Message {
  return { topic: t.count(stream, label), payload: String(count), qos, retain: true, kind: 'state' };
}

/** A review item as Frigate's `reviews` topic carries it (times in seconds), with fovea's own fields beside. */
function reviewState(it: ReviewItem) {
  return {
    id: it.id,
    camera: it.stream,
    stream: it.stream,
    start_time: it.start / 1000,
    end_time: it.end === null ? null : it.end / 1000,
    severity: it.severity,
    thumb_image_id: it.thumb,
    data: {
      detections: it.events,
      objects: it.labels,
      sub_labels: it.sub_labels,
      texts: it.texts,
      zones: it.zones,
      tracks: it.tracks,
    },
  };
}

/** The reviews topic payload: `type` new, update or end, with the item before and after. */
export function reviewMessage(t: Topics, m: ReviewMessage, qos: 0 | 1 | 2): Message {
  return {
    topic: t.reviews,
    payload: JSON.stringify({ type: m.type, before: m.before && reviewState(m.before), after: reviewState(m.after) }),
    qos,
    retain: false,
    kind: 'event',
  };
}
