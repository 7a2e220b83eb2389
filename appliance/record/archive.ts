/**
 * @module The clips that go to the bucket: once an item has ended and its post-roll is recorded, its
 * clip is cut, kept in the object store under its content key, and queued for upload in the same
 * transaction that marks the item's clip as kept. The to-do list is the store's (ended items of the
 * uploaded severities with no clip yet), so a box that stops before an item's clip is cut cuts it
 * at the next pass after it starts again; the upload itself has the sync queue's guarantees (it
 * survives restarts and a bucket that is down).
 */
import type { Severity } from '../contracts/reviews';
import type { Logger } from '../shared/log';
import type { Clip } from './service';
import { withRoll } from './retention';

export interface ArchivedStream {
  id: string;
  upload: 'alerts' | 'all' | 'none';
  preS: number;
  postS: number;
}

export interface ArchiveDeps {
  streams(): ArchivedStream[];
  /** A stream's ended items with no clip kept, of these severities, oldest first. */
  clipless(
    stream: string,
    severities: Severity[],
    limit: number,
  ): Promise<Array<{ id: string; stream: string; start: number; end: number }>>;
  clip(stream: string, start: number, end: number): Promise<Clip>;
  /** Keep the clip's file in the object store, queue its upload and mark the item, at once. */
  keep(itemId: string, stream: string, path: string, at: Date): Promise<void>;
  /** Where the stream's indexed recording ends (ms), or null. */
  indexedUntil(stream: string): Promise<number | null>;
  now(): number;
  log: Logger;
}

const BATCH = 20;
/** An item whose post-roll never got recorded (the camera went) is cut with what there is after this. */
const GIVE_UP_MS = 10 * 60_000;

export const severitiesOf = (upload: ArchivedStream['upload']): Severity[] =>
  upload === 'all' ? ['alert', 'detection'] : upload === 'alerts' ? ['alert'] : [];

export class ClipArchive {
  /** Items with no recording to cut: not tried again in this run. */
  private skipped = new Set<string>();

  constructor(private readonly d: ArchiveDeps) {}

  async pass(): Promise<number> {
    let kept = 0;
    for (const s of this.d.streams()) {
      const until = (await this.d.indexedUntil(s.id)) ?? 0;
      const todo = await this.d.clipless(s.id, severitiesOf(s.upload), BATCH + this.skipped.size);
      for (const it of todo) {
        if (this.skipped.has(it.id)) continue;
        const span = withRoll(it, s.preS, s.postS, this.d.now());
        // Wait for the post-roll to be recorded and indexed (or for long enough that it never will be).
        if (until < span.end && this.d.now() - span.end < GIVE_UP_MS) continue;
        try {
          const c = await this.d.clip(s.id, span.start, span.end);
          await this.d.keep(it.id, s.id, c.path, new Date(it.start));
          kept++;
        } catch (e) {
          this.skipped.add(it.id);
          this.d.log.warn('an item has no clip to upload', { item: it.id, stream: s.id, error: e });
        }
      }
    }
    return kept;
  }
}
