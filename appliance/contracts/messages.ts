/**
 * @module The shape of one message for the broker, as publish builds it and the durable outbox in
 * the store keeps it until delivered. Types only.
 */

export interface Message {
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Events are never dropped; per-frame messages may be, oldest first, when the outbox is full. */
  kind: 'event' | 'frame' | 'state';
}
