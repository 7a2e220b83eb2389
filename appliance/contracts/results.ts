/**
 * @module The shapes of analysis results that cross folders: what a pipeline produces (detections,
 * object events, frame, event and embedding records) and how a stored event reads back. The
 * pipeline writes them, the store keeps them, publish and the API show them; none of those owns
 * them, so none has to import another to agree on them. Types, and the one pure function that
 * shapes a frame's result as it is both stored and published.
 */

/** A detection in source-frame pixels, [x1, y1, x2, y2]. */
export interface Detection {
  label: string;
  classId: number;
  score: number;
  box: [number, number, number, number];
  /** What a classifier trained on the box says the object is (person · delivery 0.93), when one ran. */
  subLabel?: { label: string; score: number };
  /** The text read on the object (a plate: NA52BUU), its best reading so far, when ocr@1 ran. */
  text?: { text: string; score: number };
}

/** What the event engine emits for a tracked object (coordinates normalised, ts in seconds). */
export type ObjectEvent =
  | { type: 'enter' | 'leave'; zone: string; trackId: number; label: string; ts: number }
  | { type: 'dwell'; zone: string; trackId: number; label: string; ts: number; seconds: number }
  | {
      type: 'cross';
      line: string;
      direction: 'left_to_right' | 'right_to_left';
      trackId: number;
      label: string;
      ts: number;
    }
  | { type: 'count'; label: string; count: number; ts: number }
  /** A state classifier (`label`: its name) confirmed a new state of its region. */
  | { type: 'state'; label: string; state: string; previous: string | null; score: number; ts: number };

/** The events the event engine makes from tracked objects (all but a state classifier's). */
export type TrackEvent = Exclude<ObjectEvent, { type: 'state' }>;

/** What a classifier trained on the box named the object when its event happened: [name, score]. */
export interface SubLabelled {
  sub_label?: [string, number];
  /** The text read on the object (a plate), and its score, when ocr@1 read one. */
  text?: [string, number];
  /** Where the object is in the event's snapshot, [x1, y1, x2, y2] in its pixels: the crop to label. */
  snapshot_box?: [number, number, number, number];
}

/** A pipeline run has finished: stored as an event, so WebSocket replay and webhooks deliver it. */
export interface RunCompletedEvent {
  type: 'runCompleted';
  /** The pipeline's name. */
  label: string;
  ts: number;
  run_id: string;
  status: string;
  run_label: string | null;
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

export interface FrameResult {
  sessionId: string;
  /** The fleet revision the pipeline session runs under (null: the local config). */
  revision: string | null;
  stream: string;
  seq: number;
  ptsS: number;
  timestamp: Date;
  detections: Array<Detection & { trackId: number | null }>;
}

export interface EventRecord {
  id: string;
  sessionId: string;
  revision: string | null;
  stream: string;
  timestamp: Date;
  event: ObjectEvent | RunCompletedEvent;
  /** Object-store key of the JPEG snapshot, when one was taken. */
  snapshotKey: string | null;
  /** The snapshot's id in the image index, when it was registered for search. */
  imageId: string | null;
}

export interface EmbeddingRecord {
  sessionId: string;
  revision: string | null;
  stream: string;
  timestamp: Date;
  trackId: number | null;
  label: string | null;
  modelId: string;
  vector: Float32Array;
}

/** A stored event as it reads back from the events table (seq orders commits). */
export interface EventRow {
  id: string;
  session_id: string;
  stream: string;
  timestamp: Date;
  type: string;
  label: string;
  track_id: bigint | null;
  zone: string | null;
  line: string | null;
  direction: string | null;
  count: number | null;
  snapshot_key: string | null;
  image_id: string | null;
  payload: string;
  seq: bigint;
  revision: string | null;
}

/** Which stored events a subscriber wants (empty lists: all). */
export interface EventSelector {
  streams?: string[];
  types?: string[];
}

/** The published envelope of an analysed frame (the real-time analytics spec's shape). */
export function frameEnvelope(r: FrameResult) {
  return {
    sessionId: r.sessionId,
    revision: r.revision,
    timestamp: r.timestamp.toISOString(),
    event: 'frameAnalyzed' as const,
    payload: {
      stream: r.stream,
      frame: r.seq,
      pts: Number.isFinite(r.ptsS) ? r.ptsS : null,
      detections: r.detections.map((d) => ({
        label: d.label,
        score: Math.round(d.score * 1e4) / 1e4,
        box: d.box.map((v) => Math.round(v * 10) / 10),
        track_id: d.trackId,
      })),
    },
  };
}
