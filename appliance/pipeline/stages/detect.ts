/**
 * @module `detect@1`: an ONNX object detector from the catalog (YOLOX-nano by default). Score threshold,
 * NMS, class allow-list. ffmpeg decodes the frame to the model's input, or to `decode_size` when the
 * pipeline asks for more pixels (then the frame is fitted here, or cut into regions).
 *
 * Gated on a motion stage (`motion`), as Frigate detects: a frame without motion skips the model
 * (the tracker holds what it knew); a frame with motion runs it on model-sized regions around the
 * motion and the objects moving in it, at the decode resolution; and every `stationary_interval`
 * frames, or after the scene reset, the whole frame is looked at, so stationary objects are checked
 * and anything motion missed is found.
 */
import { Type } from '@sinclair/typebox';
import { defineStage, type Frame } from '../types';
import { toTensor } from '../../inference/preprocess';
import { fitRegion, regionLetterbox, type Rect } from '../../inference/fit';
import { decodeYolox } from '../../inference/detect/yolox';
import { decodeNanodet } from '../../inference/detect/nanodet';
import { iou, nms } from '../../inference/detect/nms';
import { toInput, unletterbox, type Detection, type Letterbox } from '../../inference/detect/types';
import { planRegions, REGION_DEFAULTS, type Box } from '../../motion/regions';
import { AppError } from '../../shared/errors';
import type { PreparedTensor } from './preprocess';
import type { MotionOutput } from './motion';

/** Frames the detector keeps running after it found a new object (a tracker confirms in 2 to 3). */
const CONFIRM_FRAMES = 3;

export const detectStage = defineStage({
  type: 'detect',
  version: 1,
  concurrent: true,
  description: 'Detect objects with a catalog model (YOLOX or NanoDet decoder), gated on motion if asked.',
  options: Type.Object(
    {
      model: Type.String({ default: 'yolox-nano@1', description: 'Catalog id@version of a detect model.' }),
      score: Type.Number({ default: 0.3, minimum: 0, maximum: 1, description: 'Minimum score (objectness x class).' }),
      nms_iou: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Overrides the model default.' })),
      classes: Type.Array(Type.String(), { default: [], description: 'Keep only these labels (empty: all).' }),
      motion: Type.Optional(
        Type.String({
          minLength: 1,
          description:
            'The motion@1 stage this detector is gated on (list it in needs): frames without motion skip the model. Unset: every frame.',
        }),
      ),
      stationary_interval: Type.Integer({
        default: 25,
        minimum: 1,
        maximum: 10000,
        description:
          'With motion: the whole frame is checked at least every this many frames, so stationary objects are re-checked.',
      }),
      regions: Type.Boolean({
        default: true,
        description:
          'With motion: run on model-sized regions around motion, cut from the decoded frame, instead of the whole frame (needs a decode_size larger than the model).',
      }),
      decode_size: Type.Optional(
        Type.Tuple([Type.Integer({ minimum: 32, maximum: 3840 }), Type.Integer({ minimum: 32, maximum: 2160 })], {
          description:
            'Decode frames at [width, height] (letterboxed) instead of the model input: regions then see more pixels. E.g. [832, 468].',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  async create(o, deps) {
    const m = await deps.models.get(o.model);
    const { input, output } = m.entry;
    if (m.entry.task !== 'detect' || (output.decoder !== 'yolox' && output.decoder !== 'nanodet')) {
      throw new AppError(
        'config_invalid',
        `detect: model ${o.model} is not a YOLOX or NanoDet detector (decoder ${output.decoder})`,
      );
    }
    const strides = output.strides ?? [8, 16, 32];
    const outNames =
      output.decoder === 'yolox'
        ? [output.name]
        : strides.flatMap((s) => [`cls_pred_stride_${s}`, `dis_pred_stride_${s}`]);
    const unknown = o.classes.filter((c) => !m.labels.includes(c));
    if (unknown.length)
      throw new AppError('config_invalid', `detect: unknown classes ${unknown.join(', ')} for ${o.model}`);
    const allow = o.classes.length ? new Set(o.classes.map((c) => m.labels.indexOf(c))) : undefined;
    const dims = [1, 3, input.height, input.width];
    const nmsIou = o.nms_iou ?? output.nms_iou ?? (output.decoder === 'yolox' ? 0.45 : 0.6);
    const fit = {
      width: input.width,
      height: input.height,
      align: input.letterbox?.align ?? ('top-left' as const),
      pad: input.letterbox?.pad ?? 0,
    };
    const spec = { ...input, color: 'RGB' as const };

    /** The model on a tensor of its input size; boxes mapped to the source through `lb`. */
    const infer = async (tensor: Float32Array, lb: Letterbox): Promise<Detection[]> => {
      const out = await m.session.run({ [input.name]: { data: tensor, dims } }, outNames);
      const common = {
        inputWidth: input.width,
        inputHeight: input.height,
        strides,
        scoreThreshold: o.score,
        labels: m.labels,
        allow,
      };
      return output.decoder === 'yolox'
        ? decodeYolox(out[output.name]!.data, out[output.name]!.dims, lb, { ...common, nmsIou })
        : decodeNanodet(out, lb, { ...common, bins: 8, nmsIou });
    };

    /** Part of the frame (or all of it) fitted into the model input and detected. */
    const onRegion = (frame: Frame, r: Rect) => {
      const f = fitRegion(frame.pixels, frame.width, frame.height, r, fit);
      return infer(toTensor(f.pixels, input.width, input.height, spec), regionLetterbox(frame.letterbox, r, f));
    };

    const whole = async (frame: Frame): Promise<Detection[]> => {
      if (frame.width === input.width && frame.height === input.height) {
        // A preprocess stage may have made the tensor already; else make it here. Frames arrive in the
        // model's own channel order (ffmpeg converts), so no swap: 'RGB' = as is.
        const prepared = frame.outputs.tensor as PreparedTensor | undefined;
        const tensor =
          prepared && prepared.model === o.model
            ? prepared.data
            : toTensor(frame.pixels, frame.width, frame.height, spec);
        return infer(tensor, frame.letterbox);
      }
      return onRegion(frame, { x: 0, y: 0, w: frame.width, h: frame.height });
    };

    if (!o.motion) {
      return {
        async run(frame) {
          if (frame.final) return;
          frame.detections = frame.detectOff ? [] : await whole(frame);
        },
      };
    }

    // Gated: each frame's choice depends on the frames before it (the objects found, the frames since
    // the whole frame was seen), so runs go one after another.
    const motionStage = o.motion;
    let since = Number.POSITIVE_INFINITY;
    let previous: Detection[] = [];
    // Frames the detector still runs on after it found something new, moving or not, so the tracker
    // sees a new (perhaps still) object often enough to confirm it.
    let confirm = 0;
    const gated = async (frame: Frame): Promise<void> => {
      if (frame.detectOff) {
        // Switched off: nothing found; when it is switched on again, the whole frame is looked at first.
        frame.detections = previous = [];
        since = Number.POSITIVE_INFINITY;
        confirm = 0;
        return;
      }
      const motion = frame.outputs[motionStage] as MotionOutput | undefined;
      if (!motion)
        throw new AppError('config_invalid', `detect: the motion stage '${motionStage}' did not run before it (needs)`);
      const moving = motion.boxes.length > 0;
      since++;
      if (!moving && !motion.reset && since < o.stationary_interval && confirm === 0) {
        frame.detections = [];
        frame.looked = [];
        frame.gate = { motion: false, detector: 'skipped', regions: 0 };
        return;
      }
      // The whole frame when a check is due, after a reset, or to confirm something new without motion.
      const due = motion.reset || since >= o.stationary_interval || !moving;
      // Regions around the motion and around the objects last seen moving in it, in decode pixels.
      const plan = (): Rect[] | null => {
        if (!o.regions || due) return null;
        const boxes = motion.boxes.map((b) => b.box as Box);
        for (const d of previous) if (motion.boxes.some((b) => iou(b.box, d.box) > 0)) boxes.push(d.box);
        const side = Math.min(input.width, input.height);
        return planRegions(
          boxes.map((b) => toInput(b, frame.letterbox)),
          frame.width,
          frame.height,
          { ...REGION_DEFAULTS, side },
        );
      };
      const regions = plan();
      if (regions === null) {
        frame.detections = await whole(frame);
        frame.gate = { motion: moving, detector: 'full', regions: 1 };
        since = 0;
      } else {
        const found: Detection[] = [];
        // The models here take one image a call (their batch is fixed at 1): regions go one by one.
        for (const r of regions) found.push(...(await onRegion(frame, r)));
        frame.detections = regions.length > 1 ? nms(found, nmsIou) : found;
        frame.looked = regions.map((r) => unletterbox([r.x, r.y, r.x + r.w, r.y + r.h], frame.letterbox));
        frame.gate = { motion: true, detector: 'regions', regions: regions.length };
      }
      const fresh = frame.detections.some(
        (d) => !previous.some((p) => p.classId === d.classId && iou(p.box, d.box) >= 0.3),
      );
      confirm = fresh ? CONFIRM_FRAMES : Math.max(0, confirm - 1);
      previous = frame.detections;
    };
    let chain: Promise<void> = Promise.resolve();
    return {
      run(frame) {
        if (frame.final) return;
        const mine = chain.then(() => gated(frame));
        chain = mine.catch(() => undefined);
        return mine;
      },
    };
  },
});
