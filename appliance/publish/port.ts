/** @module The port a pipeline publishes through (MQTT now; WebSocket and webhooks later). */
import type { Message, Topics } from './topics';

export interface Publisher {
  /** Device-level topics (prefix and device id applied). */
  readonly topics: Topics;
  readonly qos: 0 | 1 | 2;
  publish(m: Message): Promise<void>;
}
