/** @module `store@1`: analysed frames (with detections) and events into the result sink (DuckDB). */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../types';

export const storeStage = defineStage({
  type: 'store',
  version: 1,
  description: 'Store analysed frames, detections and events.',
  options: Type.Object({
    frames: Type.Boolean({ default: true, description: 'Store every analysed frame (false: events only).' }),
    empty_frames: Type.Boolean({ default: false, description: 'Also store frames with no detections.' }),
  }, { additionalProperties: false }),
  create(o, deps) {
    return {
      async run(frame) {
        const detections = frame.tracked.length || frame.detections.length === 0 ? frame.tracked : frame.detections.map((d) => ({ ...d, trackId: null }));
        const timestamp = new Date(frame.decodedAt);
        if (o.frames && (o.empty_frames || detections.length > 0)) {
          await deps.sink.frame({ sessionId: deps.sessionId, stream: frame.stream, seq: frame.seq, ptsS: frame.ptsS, timestamp, detections });
        }
        for (const e of frame.events) {
          await deps.sink.event({ id: e.id, sessionId: deps.sessionId, stream: frame.stream, timestamp, event: e.event, snapshotKey: e.snapshotKey, imageId: e.imageId });
        }
      },
    };
  },
});
