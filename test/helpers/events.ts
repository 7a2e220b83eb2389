/** A synthetic event record: every third one a count, the rest a zone entry, 1 ms apart. */
import type { EventRecord } from '../../appliance/contracts/results';

export const eventRecord = (i: number, stream = 'cam'): EventRecord => ({
  id: Bun.randomUUIDv7(),
  sessionId: Bun.randomUUIDv7(),
  revision: null,
  stream,
  timestamp: new Date(1_700_000_000_000 + i),
  event:
    i % 3 === 0
      ? { type: 'count', label: 'person', count: i, ts: i }
      : { type: 'enter', zone: 'door', trackId: i, label: 'person', ts: i },
  snapshotKey: null,
  imageId: null,
});
