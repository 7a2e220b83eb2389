/**
 * @module `annotate@1`: the picture with its boxes, labels and track ids drawn, as a JPEG. On a run
 * the image is kept as the input's output (fetched from the run's page, compared with the input,
 * registered in the library when asked); a photo is drawn at its full resolution. On a stream,
 * which has no place for files, the newest annotated frame rides on the frame.
 */
import { Type } from '@sinclair/typebox';
import { defineStage, frameDetections } from '../types';
import { pictureRegion, toInput } from '../../inference/detect/types';
import type { ClassifyOutput } from './classify';

export interface AnnotateOutput {
  /** The output's reference (a run's file), or null on a stream. */
  file: string | null;
  boxes: number;
  /** On a stream: the JPEG itself. */
  jpeg?: Uint8Array;
}

/** A detection's caption: label, track id, the classifier's best label when one ran, and the score. */
function caption(d: { label: string; score: number; trackId: number | null }, cls: string | null, score: boolean) {
  const parts = [d.label];
  if (d.trackId !== null) parts.push(`#${d.trackId}`);
  if (cls) parts.push(`(${cls})`);
  if (score) parts.push(d.score.toFixed(2));
  return parts.join(' ');
}

export const annotateStage = defineStage({
  type: 'annotate',
  version: 1,
  description: 'Draw boxes, labels and track ids onto an output image (JPEG).',
  options: Type.Object(
    {
      scores: Type.Boolean({ default: true, description: 'Write each box score after its label.' }),
      quality: Type.Integer({ default: 85, minimum: 30, maximum: 100, description: 'JPEG quality.' }),
    },
    { additionalProperties: false },
  ),
  create(o, deps) {
    return {
      async run(frame) {
        if (frame.final) return;
        // A classify stage's best label for each detection, by its index.
        const classified = new Map<number, string>();
        for (const v of Object.values(frame.outputs)) {
          const c = v as Partial<ClassifyOutput> | null;
          if (c && Array.isArray(c.detections))
            for (const d of c.detections) if (d.classes[0]) classified.set(d.index, d.classes[0].label);
        }
        const boxes = frameDetections(frame).map((d, i) => ({
          box: d.box,
          label: caption(d, classified.get(i) ?? null, o.scores),
        }));
        let jpeg: Uint8Array;
        if (frame.photo) jpeg = await deps.imaging.annotateJpeg(frame.photo, boxes, 1e9, o.quality);
        else {
          const lb = frame.letterbox;
          const crop = pictureRegion(lb, frame.width, frame.height);
          const inFrame = boxes.map((b) => ({ label: b.label, box: toInput(b.box, lb) }));
          jpeg = await deps.imaging.frameJpeg(frame, crop, inFrame, o.quality);
        }
        const name = deps.stage ?? 'annotate';
        const file = deps.outputs ? await deps.outputs.put(name, 'jpg', jpeg) : null;
        frame.outputs[name] = { file, boxes: boxes.length, ...(file ? {} : { jpeg }) } satisfies AnnotateOutput;
      },
    };
  },
});
