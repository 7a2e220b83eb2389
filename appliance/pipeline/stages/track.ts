/** @module `track@1`: stable track ids across frames (see pipeline/tracker.ts). */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../types';
import { Tracker } from '../tracker';

export const trackStage = defineStage({
  type: 'track',
  version: 1,
  description:
    'Multi-object tracking with stable ids (ByteTrack-style IoU matching); tracks where the detector did not look are held.',
  options: Type.Object(
    {
      high_score: Type.Number({
        default: 0.5,
        minimum: 0,
        maximum: 1,
        description: 'Detections at or above start tracks.',
      }),
      low_score: Type.Number({
        default: 0.1,
        minimum: 0,
        maximum: 1,
        description: 'Weaker detections only keep tracks alive.',
      }),
      match_iou: Type.Number({ default: 0.3, minimum: 0.01, maximum: 1 }),
      max_age: Type.Integer({ default: 10, minimum: 0, maximum: 1000, description: 'Frames a track survives unseen.' }),
      min_hits: Type.Integer({
        default: 2,
        minimum: 1,
        maximum: 100,
        description: 'Frames before a track is reported.',
      }),
    },
    { additionalProperties: false },
  ),
  create(o) {
    const tracker = new Tracker({
      highScore: o.high_score,
      lowScore: o.low_score,
      matchIou: o.match_iou,
      maxAge: o.max_age,
      minHits: o.min_hits,
    });
    return {
      run(frame) {
        if (frame.final) {
          frame.tracked = [];
          frame.endedTracks = tracker.endAll().map((t) => t.id);
          return;
        }
        const u = tracker.update(frame.detections, frame.ptsS, frame.looked);
        frame.tracked = u.tracked;
        frame.stationary = u.stationary;
        frame.endedTracks = u.ended.map((t) => t.id);
      },
    };
  },
});
