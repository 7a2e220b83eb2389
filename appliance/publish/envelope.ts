/**
 * @module The JSON shapes subscribers receive. An event has the same view over REST
 * (/api/events/:id), WebSocket and webhooks; the WebSocket and webhook envelope wraps it as
 * `{id, seq, sessionId, timestamp, event, payload}` (the real-time analytics spec's four fields,
 * plus the id and sequence a subscriber resumes from). Pure.
 */
import { frameEnvelope, type EventRow } from '../contracts/results';

export { frameEnvelope };

export type FrameEnvelope = ReturnType<typeof frameEnvelope>;

export function eventView(r: EventRow, base: string) {
  return {
    id: r.id,
    session_id: r.session_id,
    stream: r.stream,
    timestamp: new Date(r.timestamp).toISOString(),
    type: r.type,
    label: r.label,
    track_id: r.track_id === null ? null : Number(r.track_id),
    zone: r.zone,
    line: r.line,
    direction: r.direction,
    count: r.count,
    snapshot_url: r.image_id ? `${base}/api/images/${r.image_id}/file` : null,
    image_id: r.image_id,
    revision: r.revision,
    detail: JSON.parse(r.payload),
  };
}

export interface EventEnvelope {
  id: string;
  seq: number;
  sessionId: string;
  timestamp: string;
  event: string;
  payload: ReturnType<typeof eventView>;
}

export function eventEnvelope(r: EventRow, base: string): EventEnvelope {
  const payload = eventView(r, base);
  return {
    id: r.id,
    seq: Number(r.seq),
    sessionId: r.session_id,
    timestamp: payload.timestamp,
    event: r.type,
    payload,
  };
}
