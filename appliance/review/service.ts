/**
 * @module Review items of the box's streams: each analysed frame goes to its stream's grouper; each
 * change of an item is written to the store, then told to MQTT (`<prefix>/<device>/reviews`) and
 * the WebSocket. An item whose events have no snapshot gets a thumbnail of the frame it began on.
 * An item ends on its own when its stream stops sending frames (a camera gone) for gap_s.
 */
import { ReviewGrouper, type ActivityFrame } from './grouper';
import type { ReviewItem, ReviewMessage } from '../contracts/reviews';
import type { Frame, SnapshotPort } from '../pipeline/types';
import type { ReviewConfig, StreamConfig } from '../config/schema';
import { every, type Timers } from '../shared/timers';
import type { Logger } from '../shared/log';

export interface ReviewDeps {
  put(it: ReviewItem): Promise<void>;
  /** Items a stopped box left open end at their last update. */
  endOpen(): Promise<number>;
  /** Where changes go once stored (MQTT, WebSocket). */
  tell(m: ReviewMessage): void;
  snapshots: SnapshotPort | null;
  /** Be told of each frame a stream's pipeline finishes. */
  watch(stream: string, fn: (f: Frame) => void): () => void;
  timers: Timers;
  log: Logger;
}

/** The activity of a frame as the grouper reads it (boxes in source pixels, centres normalised). */
export function activityOf(f: Frame): ActivityFrame {
  const w = f.letterbox.srcWidth || f.width;
  const h = f.letterbox.srcHeight || f.height;
  return {
    ts: f.decodedAt,
    objects: f.tracked
      .filter((d) => d.trackId !== null)
      .map((d) => ({
        trackId: d.trackId!,
        label: d.label,
        cx: (d.box[0] + d.box[2]) / 2 / w,
        cy: (d.box[1] + d.box[3]) / 2 / h,
        subLabel: d.subLabel?.label ?? null,
        text: d.text?.text ?? null,
      })),
    events: f.events.map((e) => ({
      id: e.id,
      type: e.event.type,
      trackId: 'trackId' in e.event ? e.event.trackId : null,
      zone: 'zone' in e.event ? e.event.zone : null,
      imageId: e.imageId,
    })),
  };
}

interface Watched {
  grouper: ReviewGrouper;
  /** The rules it groups by (a change starts it afresh). */
  rules: string;
  lastFrame: number;
  gapMs: number;
  unwatch: () => void;
}

export class Reviews {
  private watched = new Map<string, Watched>();
  private writes: Promise<void> = Promise.resolve();
  private ticker: { stop(): void } | null = null;

  constructor(private readonly d: ReviewDeps) {}

  async start(streams: StreamConfig[]): Promise<void> {
    const ended = await this.d.endOpen();
    if (ended) this.d.log.info('review items left open by the last run were ended', { items: ended });
    this.apply(streams);
    this.ticker = every(this.d.timers, () => this.tick(), 1000);
  }

  /** Follow these streams (a fleet change: groupers of streams whose review rules changed start afresh). */
  apply(streams: StreamConfig[]): void {
    const want = new Map(streams.filter((s) => s.enabled).map((s) => [s.id, s.review]));
    for (const [id, w] of this.watched) {
      const rules = want.get(id);
      if (rules && JSON.stringify(rules) === w.rules) continue;
      this.emit(w.grouper.flush());
      w.unwatch();
      this.watched.delete(id);
    }
    for (const [id, rules] of want) if (!this.watched.has(id)) this.follow(id, rules);
  }

  private follow(id: string, rules: ReviewConfig): void {
    const grouper = new ReviewGrouper(id, rules, () => Bun.randomUUIDv7());
    const w: Watched = {
      grouper,
      rules: JSON.stringify(rules),
      lastFrame: this.d.timers.now(),
      gapMs: rules.gap_s * 1000,
      unwatch: () => undefined,
    };
    w.unwatch = this.d.watch(id, (f) => {
      w.lastFrame = this.d.timers.now();
      const msgs = grouper.update(activityOf(f));
      this.emit(msgs);
      const fresh = msgs.find((m) => m.type === 'new' && !m.after.thumb);
      if (fresh) this.thumb(grouper, fresh.after, f);
    });
    this.watched.set(id, w);
  }

  /** A stream that sends no frames for gap_s (its camera is gone) ends its item. */
  private tick(): void {
    const now = this.d.timers.now();
    for (const w of this.watched.values()) {
      if (w.grouper.open && now - w.lastFrame > w.gapMs) this.emit(w.grouper.flush());
    }
  }

  private thumb(g: ReviewGrouper, it: ReviewItem, f: Frame): void {
    const snaps = this.d.snapshots;
    const d = f.tracked.find((t) => t.trackId === it.tracks[0]);
    if (!snaps || !d) return;
    snaps
      .take(f, d.box, { label: d.label, eventType: 'review', eventId: it.id })
      .then((s) => {
        if (s.imageId) this.emit(g.setThumb(it.id, s.imageId));
      })
      .catch((e) => this.d.log.warn('review thumbnail failed; the item goes on without it', { error: e }));
  }

  private emit(msgs: ReviewMessage[]): void {
    for (const m of msgs) {
      this.writes = this.writes
        .then(() => this.d.put(m.after))
        .then(() => this.d.tell(m))
        .catch((e) => this.d.log.error('review item not stored', { error: e, item: m.after.id }));
    }
  }

  /** End every open item and wait until all are stored. */
  async stop(): Promise<void> {
    this.ticker?.stop();
    for (const w of this.watched.values()) {
      w.unwatch();
      this.emit(w.grouper.flush());
    }
    this.watched.clear();
    await this.writes;
  }
}
