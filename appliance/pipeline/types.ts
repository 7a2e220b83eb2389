/**
 * @module What flows through a pipeline: one Frame per sampled video frame, enriched by each stage
 * (detections, tracks, events), and the definition every stage type provides to the registry.
 */
import type { TSchema, Static } from '@sinclair/typebox';
import type { Detection, Letterbox } from '../inference/detect/types';
import type { ObjectEvent } from './events';

export interface Frame {
  stream: string;
  /** Sequence number of this frame since the stream (re)started. */
  seq: number;
  /** Presentation time in the source, seconds. */
  ptsS: number;
  /** Wall-clock time the frame was decoded, ms since epoch. */
  decodedAt: number;
  width: number;
  height: number;
  pixfmt: 'bgr24' | 'rgb24';
  /** Interleaved pixels at the decode size (the model input, letterboxed). */
  pixels: Uint8Array;
  /** Maps decode-size pixels back to the source frame. */
  letterbox: Letterbox;
  /**
   * The same frame at the camera's resolution (up to snapshots.max_width) as JPEG, when the decoder
   * writes pictures: snapshots are taken from it. Resolves null when it never came.
   */
  picture?: Promise<Uint8Array | null>;
  detections: Detection[];
  tracked: Array<Detection & { trackId: number | null }>;
  endedTracks: number[];
  events: FrameEvent[];
  /** Stage outputs that are not detections (an embedding, a class list), by stage name. */
  outputs: Record<string, unknown>;
  /**
   * Where the detector looked, in source pixels: undefined is the whole frame, [] is nowhere (motion
   * gating skipped it). The tracker holds the tracks it did not look at instead of ageing them.
   */
  looked?: Array<[number, number, number, number]>;
  /** What motion gating did on this frame (set by a detect stage gated on motion). */
  gate?: FrameGate;
  /**
   * Detection is switched off on this stream (Home Assistant's switch, the API): the detector finds
   * nothing, so tracks end as on empty frames; decoding, the live view and recording go on.
   */
  detectOff?: boolean;
  /** Confirmed tracks that are stationary now (set by the track stage). */
  stationary?: number;
  /**
   * The original photo when this frame is one (a run's photo input): stages that crop or draw use
   * its full resolution instead of the model-size pixels. Detections are in its upright pixels.
   */
  photo?: Uint8Array;
  /**
   * The stream has ended (a file reached its end): no pixels. Stages that look at pixels skip it;
   * the tracker ends every live track, so their leave and end events are not lost.
   */
  final?: boolean;
}

export interface FrameGate {
  /** The motion stage saw motion on this frame. */
  motion: boolean;
  /** The detector ran on the whole frame, on regions around motion, or not at all. */
  detector: 'full' | 'regions' | 'skipped';
  /** Regions the detector ran on (1 for the whole frame, 0 when skipped). */
  regions: number;
}

export interface FrameEvent {
  id: string;
  event: ObjectEvent;
  snapshotKey: string | null;
  imageId: string | null;
}

/** Best-frame snapshots of tracked objects: JPEG with the box drawn, stored and indexed. */
export interface SnapshotPort {
  take(
    frame: Pick<Frame, 'pixels' | 'width' | 'height' | 'pixfmt' | 'letterbox' | 'stream' | 'picture'>,
    box: [number, number, number, number],
    meta: { label: string; eventType: string; eventId: string },
  ): Promise<{ key: string; imageId: string | null; box?: [number, number, number, number] }>;
}

/** The "to label" inbox of classifiers trained on the box: crops someone should label. */
export interface InboxPort {
  /** Keep the frame's picture and a box of it (source pixels) for a person to label for `classifier`. */
  propose(
    frame: Parameters<SnapshotPort['take']>[0],
    box: [number, number, number, number],
    item: { classifier: string; reason: 'unsure' | 'detector'; guess: string | null; score: number | null },
  ): Promise<void>;
}

export interface StageInstance {
  run(frame: Frame): Promise<void> | void;
  /** Wait for work the stage left running behind the frame loop (after a file's final frame). */
  settle?(): Promise<void> | void;
  close?(): Promise<void> | void;
}

/** Services a stage may use; handed in by the runtime, faked in unit tests. */
export interface StageDeps {
  models: import('./models').ModelPool;
  sink: import('./sink').ResultSink;
  streamId: string;
  sessionId: string;
  /** The stage's name in its pipeline (set for each stage as it is made): where it puts its outputs. */
  stage?: string;
  /**
   * The directory of the pipeline's file (none for a built-in): a fleet revision's classifiers sit
   * beside its pipelines (`<revision>/classifiers/<name>/`).
   */
  pipelineDir?: string;
  /** The fleet revision the box runs now, stamped on what a stage stores and publishes (null: local config). */
  revision: () => string | null;
  snapshots: SnapshotPort | null;
  /** Crops for the classifiers' "to label" inbox (none in runs). */
  inbox?: InboxPort | null;
  imaging: import('../imaging/port').Imaging;
  publisher: import('../publish/port').Publisher | null;
  /** Where a stage keeps files it makes (an annotated image): a run's output folder; null on a stream. */
  outputs: OutputPort | null;
  log: import('../shared/log').Logger;
}

/** Files a stage makes for a run (annotated images), kept with the run and removed with it. */
export interface OutputPort {
  /** Store bytes as `<stage>.<ext>` of the current input; returns the reference a client fetches it by. */
  put(stage: string, ext: string, data: Uint8Array): Promise<string>;
}

export interface StageDef<S extends TSchema = TSchema> {
  type: string;
  version: number;
  description: string;
  /**
   * Runs for two frames may overlap (the stage keeps no state across frames). They still complete in
   * frame order. Lets a stream prepare frame N+1 while frame N is in the inference worker.
   */
  concurrent?: boolean;
  options: S;
  create(options: Static<S>, deps: StageDeps): Promise<StageInstance> | StageInstance;
}

export const defineStage = <S extends TSchema>(d: StageDef<S>): StageDef<S> => d;

export function emptyFrame(
  base: Pick<Frame, 'stream' | 'seq' | 'ptsS' | 'decodedAt' | 'width' | 'height' | 'pixfmt' | 'pixels' | 'letterbox'> &
    Partial<Pick<Frame, 'picture'>>,
): Frame {
  return { ...base, detections: [], tracked: [], endedTracks: [], events: [], outputs: {} };
}

/** The detections a frame reports: with track ids when a track stage ran, else untracked (null ids). */
/** Whose results a frame reports: its tracked objects, or its detections when nothing tracks them. */
const tracks = (frame: Frame) => frame.tracked.length > 0 || frame.detections.length === 0;

export function frameDetections(frame: Frame): Array<Detection & { trackId: number | null }> {
  return tracks(frame) ? frame.tracked : frame.detections.map((d) => ({ ...d, trackId: null }));
}

/** The frame's own object behind `frameDetections(frame)[index]` (to change it in place). */
export const frameObject = (frame: Frame, index: number): Detection | undefined =>
  tracks(frame) ? frame.tracked[index] : frame.detections[index];
