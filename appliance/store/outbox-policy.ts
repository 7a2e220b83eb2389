/**
 * @module What the durable outbox keeps when it is full (by count or bytes): per-frame messages go
 * first, oldest first; events and retained state are never dropped by the policy (if only they fill
 * the outbox, the limit is exceeded and reported instead). Pure: it decides, the store deletes.
 */

export interface Queued {
  seq: number;
  kind: 'event' | 'frame' | 'state';
  bytes: number;
}
export interface Limits {
  maxMessages: number;
  maxBytes: number;
}

export interface Decision {
  /** Sequence numbers to drop to make room for the incoming message. */
  drop: number[];
  /** True when the incoming message is itself a frame message that should be dropped. */
  dropIncoming: boolean;
  /** The limits will be exceeded after this (only events and state left to drop). */
  overLimit: boolean;
}

/** Room for `incoming` in `queued` (ordered oldest first) under the limits. */
export function makeRoom(queued: readonly Queued[], incoming: Omit<Queued, 'seq'>, l: Limits): Decision {
  let count = queued.length + 1;
  let bytes = queued.reduce((s, q) => s + q.bytes, 0) + incoming.bytes;
  const fits = () => count <= l.maxMessages && bytes <= l.maxBytes;
  if (fits()) return { drop: [], dropIncoming: false, overLimit: false };
  const drop: number[] = [];
  for (const q of queued) {
    if (fits()) break;
    if (q.kind !== 'frame') continue;
    drop.push(q.seq);
    count--;
    bytes -= q.bytes;
  }
  if (fits()) return { drop, dropIncoming: false, overLimit: false };
  if (incoming.kind === 'frame') return { drop, dropIncoming: true, overLimit: false };
  return { drop, dropIncoming: false, overLimit: true };
}
