/**
 * @module Home Assistant over MQTT: announces each stream (discovery.ts), withdraws what it announced
 * for a stream that went away (its configs, state and snapshot, as empty retained messages), keeps
 * each stream's state topic current from its frames (occupancy.ts), publishes the latest snapshot
 * of each review item, and obeys the detection switch. What was announced is remembered on disk, so
 * a stream removed while the box was down is withdrawn at the next start. Ports in, no I/O of its own.
 */
import type { Message } from '../contracts/messages';
import type { ReviewMessage } from '../contracts/reviews';
import type { Logger } from '../shared/log';
import { commandOf, configsOf, removalOf, stateMessage, type HaContext, type HaStream } from './discovery';
import { Occupancy, type FrameFacts } from './occupancy';

export interface HaDeps {
  ctx: HaContext;
  publish(m: Message): Promise<void>;
  /** Messages on an exact topic (the detection switch's commands). */
  subscribe(topic: string, fn: (payload: Buffer) => void): void;
  /** Each frame a stream's pipeline finishes, until the returned function is called. */
  watch(stream: string, fn: (f: FrameFacts) => void): () => void;
  detection: { get(stream: string): boolean; set(stream: string, on: boolean): boolean };
  /** An image's thumbnail (JPEG). */
  thumbnail(image: string): Promise<Uint8Array>;
  /** The topics announced before (configs, states, snapshots), kept across restarts. */
  announced: { load(): Promise<string[]>; save(topics: string[]): Promise<void> };
  log: Logger;
}

interface Watched {
  spec: string;
  occupancy: Occupancy;
  unwatch: () => void;
}

export class HomeAssistant {
  private readonly watched = new Map<string, Watched>();
  private readonly subscribed = new Set<string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly d: HaDeps) {}

  private send(m: Message): void {
    void this.d.publish(m).catch((e: unknown) => this.d.log.warn('home assistant message not published', { error: e }));
  }

  /** Make Home Assistant's view the streams given; one sync at a time, in order. */
  sync(streams: HaStream[]): Promise<void> {
    const next = this.chain.then(() => this.apply(streams));
    this.chain = next.catch((e: unknown) => this.d.log.warn('home assistant sync failed', { error: e }));
    return next;
  }

  private async apply(streams: HaStream[]): Promise<void> {
    const c = this.d.ctx;
    const before = new Set(await this.d.announced.load());
    const configs = streams.flatMap((s) => configsOf(c, s));
    const topics = [...configs.map((m) => m.topic), ...streams.flatMap((s) => [c.state(s.id), c.snapshot(s.id)])];
    const keep = new Set(topics);
    for (const t of before) if (!keep.has(t)) await this.d.publish(removalOf(t, c.qos));
    for (const m of configs) await this.d.publish(m);
    const ids = new Set(streams.map((s) => s.id));
    for (const [id, w] of this.watched)
      if (!ids.has(id)) {
        w.unwatch();
        this.watched.delete(id);
      }
    for (const s of streams) {
      const spec = JSON.stringify([s.labels, s.zones]);
      if (this.watched.get(s.id)?.spec === spec) continue;
      this.watched.get(s.id)?.unwatch();
      const occupancy = new Occupancy(s.labels, s.zones, this.d.detection.get(s.id));
      const unwatch = this.d.watch(s.id, (f) => {
        const st = occupancy.update(f, this.d.detection.get(s.id));
        if (st) this.send(stateMessage(c, s.id, st));
      });
      this.watched.set(s.id, { spec, occupancy, unwatch });
      await this.d.publish(stateMessage(c, s.id, occupancy.now(this.d.detection.get(s.id))));
      const set = c.detectSet(s.id);
      if (!this.subscribed.has(set)) {
        this.subscribed.add(set);
        this.d.subscribe(set, (payload) => this.command(s.id, payload.toString('utf8')));
      }
    }
    await this.d.announced.save(topics);
    if (before.size !== keep.size || [...before].some((t) => !keep.has(t)))
      this.d.log.info('home assistant discovery updated', { streams: [...ids], entities: configs.length });
  }

  /** The detection switch: ON or OFF; anything else is refused and the state said again. */
  command(stream: string, payload: string): void {
    const w = this.watched.get(stream);
    if (!w) return;
    const on = commandOf(payload);
    if (on === null)
      this.d.log.warn('home assistant: the detection switch takes ON or OFF', {
        stream,
        payload: payload.slice(0, 40),
      });
    else this.d.detection.set(stream, on);
    this.send(stateMessage(this.d.ctx, stream, w.occupancy.now(this.d.detection.get(stream))));
  }

  /** A review item with a new snapshot: the stream's camera shows it. */
  review(m: ReviewMessage): void {
    const it = m.after;
    if (!it.thumb || it.thumb === m.before?.thumb || !this.watched.has(it.stream)) return;
    void this.d
      .thumbnail(it.thumb)
      .then((jpeg) =>
        this.d.publish({
          topic: this.d.ctx.snapshot(it.stream),
          payload: Buffer.from(jpeg).toString('base64'),
          qos: this.d.ctx.qos,
          retain: true,
          kind: 'state',
        }),
      )
      .catch((e: unknown) => this.d.log.warn('home assistant snapshot not published', { error: e }));
  }

  /** Stop watching the streams (what is announced stays: the box is only away). */
  async close(): Promise<void> {
    await this.chain;
    for (const w of this.watched.values()) w.unwatch();
    this.watched.clear();
  }
}
