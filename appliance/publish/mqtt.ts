/**
 * @module The MQTT publisher (the only importer of mqtt). While connected and the outbox is empty,
 * messages go straight to the broker; otherwise they are queued in the durable outbox and drained in
 * order after the next connect, so a broker restart loses nothing and keeps the order. Publishes
 * `available: online` (retained) on connect, with `offline` as the Last Will. QoS 1 is at least once:
 * a message in flight when the link drops may arrive twice.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { countMessage, eventMessage, type Message, type Topics, type TrackedObjectState } from './topics';
import type { FrameEnvelope, ObjectChange, Publisher, RunReporter } from './port';
import type { RunMessage } from '../contracts/runs';
import type { Outbox } from '../store/outbox';
import type { Logger } from '../shared/log';
import { within } from '../shared/timers';

export interface MqttOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  availableTopic: string;
  qos: 0 | 1 | 2;
  /** mqtts: CA, client certificate and key (PEM); the server certificate is always verified. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

export interface PublisherStatus {
  connected: boolean;
  outbox_depth: number;
  outbox_bytes: number;
  outbox_oldest_age_s: number | null;
  dropped_frames: number;
  published: number;
  last_error: string | null;
}

export class MqttPublisher implements Publisher, RunReporter {
  private client: MqttClient;
  private draining: Promise<void> | null = null;
  private published = 0;
  private lastError: string | null = null;
  private readonly handlers = new Map<string, (payload: Buffer) => void>();

  readonly qos: 0 | 1 | 2;

  constructor(
    private readonly o: MqttOptions,
    private readonly outbox: Outbox,
    private readonly log: Logger,
    readonly topics: Topics,
  ) {
    this.qos = o.qos;
    this.client = mqtt.connect(o.url, {
      clientId: o.clientId,
      username: o.username || undefined,
      password: o.password || undefined,
      ...o.tls,
      rejectUnauthorized: true,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      clean: true,
      queueQoSZero: false,
      will: { topic: o.availableTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client.on('connect', () => {
      this.lastError = null;
      this.log.info('mqtt connected', { url: o.url });
      void this.client.publishAsync(o.availableTopic, 'online', { qos: 1, retain: true }).catch(() => undefined);
      this.kick();
      // clean sessions: subscriptions are made again on every connect.
      for (const topic of this.handlers.keys()) this.client.subscribe(topic, { qos: 1 });
    });
    this.client.on('message', (topic, payload) => this.handlers.get(topic)?.(payload));
    this.client.on('close', () => {
      if (this.lastError === null) this.lastError = 'connection closed';
    });
    this.client.on('error', (e) => {
      this.lastError = e.message;
      this.log.warn('mqtt error', { error: e });
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  object(
    type: ObjectChange,
    before: TrackedObjectState | null,
    after: TrackedObjectState,
    revision: string | null,
  ): Promise<void> {
    return this.publish(eventMessage(this.topics, type, before, after, this.qos, revision));
  }

  detections(env: FrameEnvelope): Promise<void> {
    return this.publish({
      topic: this.topics.detections(env.payload.stream),
      payload: JSON.stringify(env),
      qos: 0,
      retain: false,
      kind: 'frame',
    });
  }

  /** Step messages may be dropped when the outbox is full, oldest first; run progress never is. */
  run(m: RunMessage): void {
    void this.publish({
      topic: this.topics.run(m.payload.run_id),
      payload: JSON.stringify(m),
      qos: m.event === 'runProgress' ? this.qos : 0,
      retain: false,
      kind: m.event === 'runProgress' ? 'event' : 'frame',
    }).catch((e: unknown) => this.log.warn('run progress not published', { error: e }));
  }

  count(stream: string, label: string, count: number): Promise<void> {
    return this.publish(countMessage(this.topics, stream, label, count, this.qos));
  }

  async publish(m: Message): Promise<void> {
    if (this.client.connected && this.outbox.depth === 0 && !this.draining) {
      try {
        await this.client.publishAsync(m.topic, m.payload, { qos: m.qos, retain: m.retain });
        this.published++;
        return;
      } catch (e) {
        this.lastError = (e as Error).message;
      }
    }
    await this.outbox.enqueue(m);
    this.kick();
  }

  /** Drain the outbox in order while connected; one drain at a time. */
  private kick(): void {
    if (this.draining || !this.client.connected || this.outbox.depth === 0) return;
    this.draining = (async () => {
      try {
        while (this.client.connected && this.outbox.depth > 0) {
          for (const row of await this.outbox.oldest(100)) {
            if (!this.client.connected) return;
            await this.client.publishAsync(row.topic, row.payload, { qos: row.qos, retain: row.retain });
            await this.outbox.delivered(row.seq);
            this.published++;
          }
        }
      } catch (e) {
        this.lastError = (e as Error).message;
      } finally {
        this.draining = null;
      }
    })();
  }

  /** Call `fn` with every message on `topic` (an exact topic: commands addressed to this box). */
  subscribe(topic: string, fn: (payload: Buffer) => void): void {
    this.handlers.set(topic, fn);
    if (this.client.connected) this.client.subscribe(topic, { qos: 1 });
  }

  /** Resolves once the outbox is empty and nothing is draining (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  status(): PublisherStatus {
    return {
      connected: this.client.connected,
      outbox_depth: this.outbox.depth,
      outbox_bytes: this.outbox.bytes,
      outbox_oldest_age_s: this.outbox.oldestAgeS(),
      dropped_frames: this.outbox.dropped.frames,
      published: this.published,
      last_error: this.lastError,
    };
  }

  /**
   * Say `offline` and disconnect, never waiting on a broker that is away: what is still queued
   * stays in the outbox for the next start.
   */
  async close(): Promise<void> {
    if (this.client.connected)
      await within(this.client.publishAsync(this.o.availableTopic, 'offline', { qos: 1, retain: true }), 2000);
    await within(this.draining ?? Promise.resolve(), 3000);
    await this.client.endAsync(true);
  }
}
