/**
 * @module `filter@1`: keeps the detections that matter: by class, score, minimum box area (as a
 * fraction of the frame) and polygon zones (normalised; the box's bottom centre must be inside one).
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../types';
import { anchorOf, inPolygon, type Point } from '../geometry';

export const PointT = Type.Tuple([Type.Number({ minimum: 0, maximum: 1 }), Type.Number({ minimum: 0, maximum: 1 })]);
export const PolygonT = Type.Array(PointT, { minItems: 3, description: 'Normalised [x, y] points (0..1).' });

export const filterStage = defineStage({
  type: 'filter',
  version: 1,
  description: 'Drop detections by class, score, area or zone.',
  options: Type.Object(
    {
      classes: Type.Array(Type.String(), { default: [], description: 'Keep only these labels (empty: all).' }),
      min_score: Type.Number({ default: 0, minimum: 0, maximum: 1 }),
      min_area: Type.Number({
        default: 0,
        minimum: 0,
        maximum: 1,
        description: 'Minimum box area as a fraction of the frame.',
      }),
      zones: Type.Array(PolygonT, {
        default: [],
        description: 'Keep detections inside any of these (empty: anywhere).',
      }),
    },
    { additionalProperties: false },
  ),
  create(o) {
    return {
      run(frame) {
        const { srcWidth: w, srcHeight: h } = frame.letterbox;
        frame.detections = frame.detections.filter((d) => {
          if (o.classes.length && !o.classes.includes(d.label)) return false;
          if (d.score < o.min_score) return false;
          if (((d.box[2] - d.box[0]) * (d.box[3] - d.box[1])) / (w * h) < o.min_area) return false;
          return o.zones.length === 0 || o.zones.some((z) => inPolygon(anchorOf(d.box, w, h), z as Point[]));
        });
      },
    };
  },
});
