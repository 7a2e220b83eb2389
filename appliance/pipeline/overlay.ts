/**
 * @module What a viewer draws over a stream's latest analysed frame: its detections (with track
 * ids) and the event stage's zones and lines, all in coordinates normalised to the picture (0..1,
 * the source frame without letterbox padding), so a browser scales them to any display size. Pure.
 */
import type { Pipeline } from './file';
import type { Frame } from './types';
import { frameDetections } from './types';
import type { Imaging } from '../imaging/port';
import type { MotionOutput } from './stages/motion';
import { pictureRegion, toInput } from '../inference/detect/types';

export interface Overlay {
  stream: string;
  seq: number;
  /** When the frame was decoded (ISO 8601). */
  decoded_at: string;
  /** The source frame's size, for the aspect ratio. */
  width: number;
  height: number;
  detections: Array<{
    label: string;
    score: number;
    track_id: number | null;
    box: [number, number, number, number];
    /** What a classifier trained on the box says it is, with its score. */
    sub_label?: string;
    sub_score?: number;
    /** The text ocr@1 read on it (a plate). */
    text?: string;
  }>;
  zones: Array<{ name: string; polygon: Array<[number, number]> }>;
  lines: Array<{ name: string; a: [number, number]; b: [number, number] }>;
  /**
   * Motion gating on this frame, when the pipeline has a motion stage: its motion boxes, the regions
   * the detector ran on, and what it did (full, regions, skipped; null when it is not gated).
   */
  motion?: { boxes: Box[]; regions: Box[]; detector: 'full' | 'regions' | 'skipped' | null };
}

type Box = [number, number, number, number];

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** The zones and lines of a pipeline's event stages. */
export function geometryOf(p: Pipeline): Pick<Overlay, 'zones' | 'lines'> {
  const zones: Overlay['zones'] = [];
  const lines: Overlay['lines'] = [];
  for (const s of p.stages) {
    if (s.def.type !== 'event') continue;
    const o = s.options as { zones: Overlay['zones']; lines: Overlay['lines'] };
    for (const z of o.zones) zones.push({ name: z.name, polygon: z.polygon });
    for (const l of o.lines) lines.push({ name: l.name, a: l.a, b: l.b });
  }
  return { zones, lines };
}

export function overlayOf(frame: Frame, pipeline: Pipeline): Overlay {
  const { srcWidth: w, srcHeight: h } = frame.letterbox;
  const norm = (b: readonly number[]): Box => [
    round4(b[0]! / w),
    round4(b[1]! / h),
    round4(b[2]! / w),
    round4(b[3]! / h),
  ];
  const stage = pipeline.stages.find((s) => s.def.type === 'motion')?.name;
  const m = stage ? (frame.outputs[stage] as MotionOutput | undefined) : undefined;
  return {
    stream: frame.stream,
    seq: frame.seq,
    decoded_at: new Date(frame.decodedAt).toISOString(),
    width: w,
    height: h,
    detections: frameDetections(frame).map((d) => ({
      label: d.label,
      score: round4(d.score),
      track_id: d.trackId,
      box: [round4(d.box[0] / w), round4(d.box[1] / h), round4(d.box[2] / w), round4(d.box[3] / h)],
      ...(d.subLabel && { sub_label: d.subLabel.label, sub_score: round4(d.subLabel.score) }),
      ...(d.text && { text: d.text.text }),
    })),
    ...geometryOf(pipeline),
    ...(m && {
      motion: {
        boxes: m.boxes.map((b) => norm(b.box)),
        regions: frame.gate?.detector === 'regions' ? (frame.looked ?? []).map(norm) : [],
        detector: frame.gate?.detector ?? null,
      },
    }),
  };
}

/** The frame as a JPEG of its picture (no letterbox padding), with its boxes drawn when `boxes`. */
export function frameImage(frame: Frame, imaging: Imaging, boxes: boolean): Promise<Uint8Array> {
  const crop = pictureRegion(frame.letterbox, frame.width, frame.height);
  const drawn = boxes
    ? frameDetections(frame).map((d) => ({
        box: toInput(d.box, frame.letterbox),
        label: `${d.label}${d.subLabel ? ` · ${d.subLabel.label}` : ''}${d.text ? ` · ${d.text.text}` : ''}${d.trackId === null ? '' : ` #${d.trackId}`} ${Math.round(d.score * 100)}%`,
      }))
    : [];
  return imaging.frameJpeg(frame, crop, drawn, 80);
}
