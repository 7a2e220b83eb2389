/**
 * @module `store@1`: analysed frames (with detections) and events into the result sink (DuckDB).
 * Writes run behind the frame loop: waiting for each commit would put the disk on the inference
 * path (measured: it held one stream to ~0.7 of the bare decode+inference loop). At most
 * `max_pending` writes are in flight; past that the loop waits, so memory stays bounded. Closing
 * the stage waits for every write.
 */
import { Type } from '@sinclair/typebox';
import { defineStage, frameDetections } from '../types';
import { BoundedWrites } from '../writes';

export const storeStage = defineStage({
  type: 'store',
  version: 1,
  description: 'Store analysed frames, detections and events.',
  options: Type.Object(
    {
      frames: Type.Boolean({ default: true, description: 'Store every analysed frame (false: events only).' }),
      empty_frames: Type.Boolean({ default: false, description: 'Also store frames with no detections.' }),
      max_pending: Type.Integer({
        default: 64,
        minimum: 1,
        maximum: 10_000,
        description: 'Writes in flight before the frame loop waits.',
      }),
    },
    { additionalProperties: false },
  ),
  create(o, deps) {
    const writes = new BoundedWrites(o.max_pending, deps.log);
    return {
      async run(frame) {
        const detections = frameDetections(frame);
        const timestamp = new Date(frame.decodedAt);
        if (o.frames && (o.empty_frames || detections.length > 0)) {
          await writes.add(
            deps.sink.frame({
              sessionId: deps.sessionId,
              revision: deps.revision(),
              stream: frame.stream,
              seq: frame.seq,
              ptsS: frame.ptsS,
              timestamp,
              detections,
            }),
          );
        }
        for (const e of frame.events) {
          await writes.add(
            deps.sink.event({
              id: e.id,
              sessionId: deps.sessionId,
              revision: deps.revision(),
              stream: frame.stream,
              timestamp,
              event: e.event,
              snapshotKey: e.snapshotKey,
              imageId: e.imageId,
            }),
          );
        }
      },
      settle: () => writes.close(),
      close: () => writes.close(),
    };
  },
});
