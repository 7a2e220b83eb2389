/**
 * @module `motion@1`: where the picture moves, on a small grey copy of the frame (motion/detector):
 * the boxes in source pixels (as detections are), the share of the picture that changed, and whether
 * the scene changed as a whole (a reset), in `outputs[<stage>]`. A detect stage gated on it
 * (`detect.motion`) skips frames without motion and looks only at regions around it.
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../types';
import { MOTION_DEFAULTS, MotionDetector } from '../../motion/detector';
import { pictureRegion } from '../../inference/detect/types';
import { PointT } from './filter';

/** What `motion@1` writes: boxes in source pixels. */
export interface MotionOutput {
  boxes: Array<{ box: [number, number, number, number]; pixels: number }>;
  share: number;
  reset: boolean;
}

export const motionStage = defineStage({
  type: 'motion',
  version: 1,
  description: 'Motion boxes on a small grey copy of the frame, with masks and a reset on a global change.',
  options: Type.Object(
    {
      width: Type.Integer({
        default: MOTION_DEFAULTS.width,
        minimum: 32,
        maximum: 1280,
        description: 'Width of the grey copy.',
      }),
      threshold: Type.Integer({
        default: MOTION_DEFAULTS.threshold,
        minimum: 1,
        maximum: 255,
        description: 'Grey levels a pixel must differ from the running average by.',
      }),
      min_area: Type.Integer({
        default: MOTION_DEFAULTS.minArea,
        minimum: 1,
        description: 'Smallest motion box, in pixels of the grey copy.',
      }),
      alpha: Type.Number({
        default: MOTION_DEFAULTS.alpha,
        exclusiveMinimum: 0,
        maximum: 1,
        description: 'How fast the average follows the scene, per frame.',
      }),
      reset_share: Type.Number({
        default: MOTION_DEFAULTS.resetShare,
        exclusiveMinimum: 0,
        maximum: 1,
        description:
          'A changed share above this is a global change (lights, IR, a moved camera): the average starts again.',
      }),
      masks: Type.Array(Type.Array(PointT, { minItems: 3 }), {
        default: [],
        description: 'Polygons (0..1) where motion is ignored, e.g. a timestamp or a tree.',
      }),
    },
    { additionalProperties: false },
  ),
  create(o, deps) {
    // Motion is looked for on the picture only (not a letterbox's padding); masks, drawn on the
    // camera's picture, and boxes are normalised to it.
    const m = new MotionDetector({
      width: o.width,
      threshold: o.threshold,
      minArea: o.min_area,
      alpha: o.alpha,
      resetShare: o.reset_share,
      masks: o.masks as Array<Array<[number, number]>>,
    });
    const name = deps.stage ?? 'motion';
    return {
      run(frame) {
        if (frame.final) return;
        const p = pictureRegion(frame.letterbox, frame.width, frame.height);
        const r = m.detect(frame.pixels, frame.width, frame.height, frame.pixfmt === 'bgr24' ? 'bgr' : 'rgb', p);
        const { srcWidth: w, srcHeight: h } = frame.letterbox;
        frame.outputs[name] = {
          boxes: r.boxes.map((b) => ({
            box: [b.box[0] * w, b.box[1] * h, b.box[2] * w, b.box[3] * h] as [number, number, number, number],
            pixels: b.pixels,
          })),
          share: r.share,
          reset: r.reset,
        } satisfies MotionOutput;
      },
    };
  },
});
