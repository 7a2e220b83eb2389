/**
 * @module Where a pipeline's results go: the port the `store` and `event` stages write to. The
 * DuckDB implementation batches writes; tests use an in-memory one.
 */
import type { EmbeddingRecord, EventRecord, FrameResult } from '../contracts/results';

export type { EmbeddingRecord, EventRecord, FrameResult };

export interface ResultSink {
  frame(r: FrameResult): Promise<void>;
  event(e: EventRecord): Promise<void>;
  embedding(e: EmbeddingRecord): Promise<void>;
}

export class MemorySink implements ResultSink {
  frames: FrameResult[] = [];
  events: EventRecord[] = [];
  embeddings: EmbeddingRecord[] = [];
  async frame(r: FrameResult) {
    this.frames.push(r);
  }
  async event(e: EventRecord) {
    this.events.push(e);
  }
  async embedding(e: EmbeddingRecord) {
    this.embeddings.push(e);
  }
}
