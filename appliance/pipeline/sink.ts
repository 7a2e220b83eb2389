/**
 * @module Where a pipeline's results go: the port the `store` and `event` stages write to. The
 * DuckDB implementation batches writes; tests use an in-memory one.
 */
import type { Detection } from '../inference/detect/types';
import type { ObjectEvent } from './events';

export interface FrameResult {
  sessionId: string;
  /** The fleet revision the pipeline session runs under (null: the local config). */
  revision: string | null;
  stream: string;
  seq: number;
  ptsS: number;
  timestamp: Date;
  detections: Array<Detection & { trackId: number | null }>;
}

export interface EventRecord {
  id: string;
  sessionId: string;
  revision: string | null;
  stream: string;
  timestamp: Date;
  event: ObjectEvent;
  /** Object-store key of the JPEG snapshot, when one was taken. */
  snapshotKey: string | null;
  /** The snapshot's id in the image index, when it was registered for search. */
  imageId: string | null;
}

export interface EmbeddingRecord {
  sessionId: string;
  revision: string | null;
  stream: string;
  timestamp: Date;
  trackId: number | null;
  label: string | null;
  modelId: string;
  vector: Float32Array;
}

export interface ResultSink {
  frame(r: FrameResult): Promise<void>;
  event(e: EventRecord): Promise<void>;
  embedding(e: EmbeddingRecord): Promise<void>;
}

export class MemorySink implements ResultSink {
  frames: FrameResult[] = [];
  events: EventRecord[] = [];
  embeddings: EmbeddingRecord[] = [];
  async frame(r: FrameResult) { this.frames.push(r); }
  async event(e: EventRecord) { this.events.push(e); }
  async embedding(e: EmbeddingRecord) { this.embeddings.push(e); }
}
