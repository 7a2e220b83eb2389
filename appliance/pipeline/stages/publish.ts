/**
 * @module `publish@1`: results to subscribers (MQTT, WebSocket). Tracked objects become Frigate-style events:
 * `new` when a track is confirmed, `update` when it enters or leaves a zone, crosses a line or
 * dwells, `end` when it is gone, each with `before` and `after`. Per-frame detections are
 * rate-limited per stream; counts are retained state. Does nothing when no publisher is configured.
 */
import { Type } from '@sinclair/typebox';
import { defineStage, frameDetections } from '../types';
import type { TrackedObjectState } from '../../publish/topics';
import { frameEnvelope } from '../../publish/envelope';
import { BoundedWrites } from '../writes';

export const publishStage = defineStage({
  type: 'publish',
  version: 1,
  description: 'Publish tracked objects, detections and counts (MQTT, WebSocket).',
  options: Type.Object(
    {
      events: Type.Boolean({ default: true }),
      detections_per_s: Type.Number({
        default: 1,
        minimum: 0,
        description: 'Per-frame detection messages per second and stream (0: none).',
      }),
      counts: Type.Boolean({
        default: true,
        description: 'Retained count per label (needs the event stage with count: true).',
      }),
    },
    { additionalProperties: false },
  ),
  create(o, deps) {
    const pub = deps.publisher;
    const writes = new BoundedWrites(256, deps.log);
    const objects = new Map<number, TrackedObjectState>();
    let lastDetections = -Infinity;
    return {
      async run(frame) {
        if (!pub) return;
        if (o.events) {
          const send = (type: 'new' | 'update' | 'end', before: TrackedObjectState | null, after: TrackedObjectState) =>
            writes.add(pub.object(type, before, after, deps.revision()));
          for (const d of frame.tracked) {
            if (d.trackId === null) continue;
            const prev = objects.get(d.trackId);
            const now: TrackedObjectState = {
              id: prev?.id ?? `${frame.stream}-${d.trackId}-${deps.sessionId.slice(-8)}`,
              stream: frame.stream,
              label: d.label,
              score: d.score,
              box: d.box,
              zones: prev?.zones ?? [],
              track_id: d.trackId,
              snapshot_url: prev?.snapshot_url ?? null,
              sub_label: d.subLabel ? [d.subLabel.label, d.subLabel.score] : (prev?.sub_label ?? null),
              recognized_license_plate: d.text?.text ?? prev?.recognized_license_plate ?? null,
              recognized_license_plate_score: d.text?.score ?? prev?.recognized_license_plate_score ?? null,
            };
            objects.set(d.trackId, now);
            if (!prev) await send('new', null, now);
            // A classifier named it, or named it otherwise, or its plate reads otherwise: an update, as Frigate sends one.
            else if (
              now.sub_label?.[0] !== prev.sub_label?.[0] ||
              now.recognized_license_plate !== prev.recognized_license_plate
            )
              await send('update', prev, now);
          }
          for (const e of frame.events) {
            const ev = e.event;
            if (!('trackId' in ev)) continue;
            const before = objects.get(ev.trackId);
            if (!before) continue;
            const zones =
              ev.type === 'enter'
                ? [...new Set([...before.zones, ev.zone])]
                : ev.type === 'leave'
                  ? before.zones.filter((z) => z !== ev.zone)
                  : before.zones;
            const after = {
              ...before,
              zones,
              snapshot_url: e.imageId ? `/api/images/${e.imageId}/file` : before.snapshot_url,
            };
            objects.set(ev.trackId, after);
            await send('update', before, after);
          }
          for (const id of frame.endedTracks) {
            const last = objects.get(id);
            if (last) {
              objects.delete(id);
              await send('end', last, last);
            }
          }
        }
        if (o.counts) {
          for (const e of frame.events) {
            if (e.event.type === 'count') await writes.add(pub.count(frame.stream, e.event.label, e.event.count));
          }
        }
        if (o.detections_per_s > 0 && frame.ptsS - lastDetections >= 1 / o.detections_per_s) {
          lastDetections = frame.ptsS;
          const env = frameEnvelope({
            sessionId: deps.sessionId,
            revision: deps.revision(),
            stream: frame.stream,
            seq: frame.seq,
            ptsS: frame.ptsS,
            timestamp: new Date(frame.decodedAt),
            detections: frameDetections(frame),
          });
          await writes.add(pub.detections(env));
        }
      },
      settle: () => writes.close(),
      close: () => writes.close(),
    };
  },
});
