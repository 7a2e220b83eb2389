/**
 * @module One input of a run through its pipeline. A photo is a one-frame input: decoded upright,
 * fitted to the pipeline's decode geometry exactly as ffmpeg fits a video frame, run through fresh
 * stage instances (no track or count leaks from one photo to the next), then a final frame so
 * stages settle their writes. What it found is kept as the item's output: detections, the stages'
 * outputs (class lists, annotated files), never pixels or tensors.
 */
import { decodeSpecOf, instantiate, type InstantiateHooks } from '../pipeline/compile';
import type { Pipeline } from '../pipeline/file';
import { emptyFrame, frameDetections, type Frame, type StageDeps } from '../pipeline/types';
import type { OutputSpec } from '../decode/ffmpeg-args';
import type { Catalog } from '../models/catalog';
import type { Imaging } from '../imaging/port';
import { letterboxOf, stretchOf } from '../inference/detect/types';
import { isAppError } from '../shared/errors';

/** The output an item keeps (JSON in run_items.output). */
export interface ItemOutput {
  width?: number;
  height?: number;
  /** Frames analysed (a clip). */
  frames?: number;
  frames_failed?: number;
  detections: Array<{
    label: string;
    score: number;
    box: number[];
    track_id: number | null;
    /** A classifier trained on the box: what the object is, and how sure. */
    sub_label?: string;
    sub_score?: number;
    /** Text read on the object (ocr@1: a plate), and its score. */
    text?: string;
    text_score?: number;
  }>;
  /** Detections by label (a clip: over all frames). */
  labels: Record<string, number>;
  outputs: Record<string, unknown>;
  /** Images registered in the library from this item (register_outputs). */
  registered: string[];
}

/**
 * The decode geometry of a run's pipeline: as a stream's when it has a detect or preprocess stage;
 * a pipeline without one (classify alone) sees photos at 640x640 letterboxed, its crops taken from
 * the original.
 */
export function runDecodeSpec(p: Pipeline, catalog: Catalog): OutputSpec {
  try {
    return decodeSpecOf(p, catalog, p.fps);
  } catch (e) {
    if (!isAppError(e) || !/needs a preprocess or detect stage/.test(e.message)) throw e;
    return {
      width: 640,
      height: 640,
      pixfmt: 'rgb24',
      fps: p.fps,
      fit: { mode: 'letterbox', align: 'top-left', pad: 114 },
    };
  }
}

/** Stage outputs as they can be kept: binary payloads (an annotated JPEG on a stream, a tensor) dropped. */
export function keepable(outputs: Record<string, unknown>): Record<string, unknown> {
  const { tensor: _t, ...rest } = outputs;
  return JSON.parse(
    JSON.stringify(rest, (_k, v: unknown) => (v instanceof Uint8Array || v instanceof Float32Array ? undefined : v)) ??
      '{}',
  );
}

const round = (v: number) => Math.round(v * 10) / 10;

export function detectionsOf(frame: Frame): ItemOutput['detections'] {
  return frameDetections(frame).map((d) => ({
    label: d.label,
    score: Math.round(d.score * 1e4) / 1e4,
    box: d.box.map(round),
    track_id: d.trackId,
    ...(d.subLabel && { sub_label: d.subLabel.label, sub_score: d.subLabel.score }),
    ...(d.text && { text: d.text.text, text_score: d.text.score }),
  }));
}

export function labelCounts(dets: Array<{ label: string }>, into: Record<string, number> = {}): Record<string, number> {
  for (const d of dets) into[d.label] = (into[d.label] ?? 0) + 1;
  return into;
}

export interface PhotoRun {
  pipeline: Pipeline;
  spec: OutputSpec;
  deps: StageDeps;
  hooks: InstantiateHooks;
  imaging: Imaging;
  maxPixels: number;
  now: () => number;
}

/** Run one photo; a photo that does not decode throws unprocessable_image before any stage runs. */
export async function runPhoto(
  r: PhotoRun,
  stream: string,
  seq: number,
  data: Uint8Array,
): Promise<{ frame: Frame; output: ItemOutput }> {
  const { spec } = r;
  await r.imaging.probe(data, r.maxPixels);
  const fitted = await r.imaging.fitRaw(data, spec, r.maxPixels);
  const letterbox =
    spec.fit.mode === 'letterbox'
      ? letterboxOf(fitted.width, fitted.height, spec.width, spec.height, spec.fit.align, 'trunc')
      : stretchOf(fitted.width, fitted.height, spec.width, spec.height);
  const frame = emptyFrame({
    stream,
    seq,
    ptsS: 0,
    decodedAt: r.now(),
    width: spec.width,
    height: spec.height,
    pixfmt: spec.pixfmt,
    pixels: fitted.pixels,
    letterbox,
  });
  frame.photo = data;
  const running = await instantiate(r.pipeline, r.deps, r.hooks);
  try {
    await running.run(frame);
    // The end of this one-frame input: trackers end their tracks, writers settle.
    await running.run({ ...emptyFrame({ ...frame, pixels: new Uint8Array(0) }), final: true });
  } finally {
    await running.close();
  }
  const detections = detectionsOf(frame);
  return {
    frame,
    output: {
      width: fitted.width,
      height: fitted.height,
      detections,
      labels: labelCounts(detections),
      outputs: keepable(frame.outputs),
      registered: [],
    },
  };
}
