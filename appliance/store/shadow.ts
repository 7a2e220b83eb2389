/**
 * @module Where a shadow pipeline's `store` stage writes: the shadow tables, batched by group commit
 * like the live sink, each row stamped with the shadow pipeline's name. Nothing here notifies the
 * live subscribers (WebSocket, webhooks): shadow events are not events of the box.
 */
import type { Db, AppendValue, ColumnKind } from './duckdb';
import type { EmbeddingRecord, EventRecord, FrameResult } from '../contracts/results';
import { Batcher } from '../shared/batcher';

const DETECTION_KINDS: ColumnKind[] = [
  'varchar',
  'varchar',
  'varchar',
  'timestamptz',
  'bigint',
  'varchar',
  'float',
  'float',
  'float',
  'float',
  'float',
  'bigint',
  'varchar',
];
const EVENT_KINDS: ColumnKind[] = [
  'varchar',
  'varchar',
  'varchar',
  'varchar',
  'timestamptz',
  'varchar',
  'varchar',
  'bigint',
  'varchar',
  'varchar',
];

type Item = { kind: 'frame'; r: FrameResult } | { kind: 'event'; e: EventRecord };

export class ShadowSink {
  private readonly batch: Batcher<Item>;

  constructor(
    private readonly db: Db,
    private readonly pipeline: string,
  ) {
    this.batch = new Batcher((items) => this.write(items), { max: 256 });
  }

  frame(r: FrameResult): Promise<void> {
    return this.batch.add({ kind: 'frame', r });
  }

  event(e: EventRecord): Promise<void> {
    return this.batch.add({ kind: 'event', e });
  }

  /** A shadow's embeddings are not kept: the comparison is about detections and events. */
  async embedding(_x: EmbeddingRecord): Promise<void> {}

  flush(): Promise<void> {
    return this.batch.flush();
  }

  private async write(items: Item[]): Promise<void> {
    const dets: AppendValue[][] = [];
    const events: AppendValue[][] = [];
    for (const it of items) {
      if (it.kind === 'frame') {
        const r = it.r;
        for (const d of r.detections)
          dets.push([
            r.sessionId,
            r.stream,
            this.pipeline,
            r.timestamp,
            r.seq,
            d.label,
            d.score,
            d.box[0],
            d.box[1],
            d.box[2],
            d.box[3],
            d.trackId,
            r.revision,
          ]);
      } else {
        const { e } = it;
        const ev = e.event;
        events.push([
          e.id,
          e.sessionId,
          e.stream,
          this.pipeline,
          e.timestamp,
          ev.type,
          'label' in ev ? ev.label : null,
          'trackId' in ev ? ev.trackId : null,
          JSON.stringify(ev),
          e.revision,
        ]);
      }
    }
    await this.db.append('shadow_detections', DETECTION_KINDS, dets);
    await this.db.append('shadow_events', EVENT_KINDS, events);
  }
}
