import { describe, expect, test } from 'bun:test';
import { countMessage, eventMessage, level, topics } from '../../appliance/publish/topics';
import { makeRoom } from '../../appliance/publish/outbox-policy';

describe('MQTT topics', () => {
  const t = topics('fovea', 'box-7');
  test('follow the documented scheme, with wildcards kept out of levels', () => {
    expect([t.events, t.detections('door'), t.count('door', 'person'), t.available, t.stats, level('a/b+#')]).toEqual([
      'fovea/box-7/events', 'fovea/box-7/door/detections', 'fovea/box-7/door/person', 'fovea/box-7/available', 'fovea/box-7/stats', 'a_b__',
    ]);
  });

  test('events carry type, before and after; counts are retained state', () => {
    const after = { id: 'e1', stream: 'door', label: 'person', score: 0.9, box: [1, 2, 3, 4], zones: ['porch'], track_id: 3, snapshot_url: null };
    expect([eventMessage(t, 'new', null, after, 1, 'abc123'), countMessage(t, 'door', 'person', 2, 1)]).toEqual([
      { topic: 'fovea/box-7/events', payload: JSON.stringify({ type: 'new', before: null, after, revision: 'abc123' }), qos: 1, retain: false, kind: 'event' },
      { topic: 'fovea/box-7/door/person', payload: '2', qos: 1, retain: true, kind: 'state' },
    ]);
  });
});

describe('outbox policy', () => {
  const q = (seq: number, kind: 'event' | 'frame' | 'state', bytes = 10) => ({ seq, kind, bytes });
  test('room is made by dropping the oldest frame messages, never events', () => {
    expect(makeRoom([q(1, 'event'), q(2, 'frame'), q(3, 'frame'), q(4, 'event')], { kind: 'event', bytes: 10 }, { maxMessages: 3, maxBytes: 1e6 })).toEqual({ drop: [2, 3], dropIncoming: false, overLimit: false });
  });

  test('a frame message that does not fit when only events remain is itself dropped', () => {
    expect(makeRoom([q(1, 'event'), q(2, 'event')], { kind: 'frame', bytes: 10 }, { maxMessages: 2, maxBytes: 1e6 })).toEqual({ drop: [], dropIncoming: true, overLimit: false });
  });

  test('an event is kept even over the limit, and that is reported', () => {
    expect(makeRoom([q(1, 'event'), q(2, 'state')], { kind: 'event', bytes: 10 }, { maxMessages: 2, maxBytes: 1e6 })).toEqual({ drop: [], dropIncoming: false, overLimit: true });
  });

  test('the byte limit counts too', () => {
    expect(makeRoom([q(1, 'frame', 600), q(2, 'frame', 300)], { kind: 'frame', bytes: 300 }, { maxMessages: 100, maxBytes: 1000 })).toEqual({ drop: [1], dropIncoming: false, overLimit: false });
  });
});
