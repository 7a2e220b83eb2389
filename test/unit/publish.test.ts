import { describe, expect, test } from 'bun:test';
import { countMessage, eventMessage, level, topics, type TrackedObjectState } from '../../appliance/publish/topics';
import type { Detection } from '../../appliance/contracts/results';
import { makeRoom } from '../../appliance/store/outbox-policy';

describe('MQTT topics', () => {
  const t = topics('fovea', 'box-7');
  test('follow the documented scheme, with wildcards kept out of levels', () => {
    expect([t.events, t.detections('door'), t.count('door', 'person'), t.available, t.stats, level('a/b+#')]).toEqual([
      'fovea/box-7/events',
      'fovea/box-7/door/detections',
      'fovea/box-7/door/person',
      'fovea/box-7/available',
      'fovea/box-7/stats',
      'a_b__',
    ]);
  });

  test('events carry type, before and after; counts are retained state', () => {
    const after = {
      id: 'e1',
      stream: 'door',
      label: 'person',
      score: 0.9,
      box: [1, 2, 3, 4],
      zones: ['porch'],
      track_id: 3,
      snapshot_url: null,
      sub_label: null,
      recognized_license_plate: null,
      recognized_license_plate_score: null,
    };
    expect([eventMessage(t, 'new', null, after, 1, 'abc123'), countMessage(t, 'door', 'person', 2, 1)]).toEqual([
      {
        topic: 'fovea/box-7/events',
        payload: JSON.stringify({ type: 'new', before: null, after, revision: 'abc123' }),
        qos: 1,
        retain: false,
        kind: 'event',
      },
      { topic: 'fovea/box-7/door/person', payload: '2', qos: 1, retain: true, kind: 'state' },
    ]);
  });
});

describe('outbox policy', () => {
  const q = (seq: number, kind: 'event' | 'frame' | 'state', bytes = 10) => ({ seq, kind, bytes });
  test('room is made by dropping the oldest frame messages, never events', () => {
    expect(
      makeRoom(
        [q(1, 'event'), q(2, 'frame'), q(3, 'frame'), q(4, 'event')],
        { kind: 'event', bytes: 10 },
        { maxMessages: 3, maxBytes: 1e6 },
      ),
    ).toEqual({ drop: [2, 3], dropIncoming: false, overLimit: false });
  });

  test('a frame message that does not fit when only events remain is itself dropped', () => {
    expect(
      makeRoom([q(1, 'event'), q(2, 'event')], { kind: 'frame', bytes: 10 }, { maxMessages: 2, maxBytes: 1e6 }),
    ).toEqual({ drop: [], dropIncoming: true, overLimit: false });
  });

  test('an event is kept even over the limit, and that is reported', () => {
    expect(
      makeRoom([q(1, 'event'), q(2, 'state')], { kind: 'event', bytes: 10 }, { maxMessages: 2, maxBytes: 1e6 }),
    ).toEqual({ drop: [], dropIncoming: false, overLimit: true });
  });

  test('the byte limit counts too', () => {
    expect(
      makeRoom(
        [q(1, 'frame', 600), q(2, 'frame', 300)],
        { kind: 'frame', bytes: 300 },
        { maxMessages: 100, maxBytes: 1000 },
      ),
    ).toEqual({ drop: [1], dropIncoming: false, overLimit: false });
  });
});

import { startStats, type StatsSource } from '../../appliance/publish/stats';
import { FakeTimers } from '../../appliance/shared/timers';
import type { Message } from '../../appliance/publish/topics';

test('stats are published every interval with each stream and the outbox', () => {
  const sent: Message[] = [];
  const pub = {
    topics: topics('fovea', 'b'),
    qos: 1 as const,
    publish: async (m: Message) => {
      sent.push(m);
    },
  };
  const view = {
    id: 'door',
    state: 'running',
    fps_in: 5,
    fps_out: 4.8,
    dropped: 3,
    queue_depth: 1,
    stage_ms: { detect: 16.2 },
    restarts: 0,
  };
  const src: StatsSource = {
    streams: () => [view as never],
    outbox: () => ({ depth: 0, bytes: 0, oldest_age_s: null, dropped_frames: 0 }),
    uptimeS: () => 120,
  };
  const t = new FakeTimers();
  const s = startStats(pub, src, 60, t);
  t.advance(59_000);
  const before = sent.length;
  t.advance(62_000);
  s.stop();
  t.advance(600_000);
  expect([before, sent.length, sent[0]!.topic, JSON.parse(sent[0]!.payload)]).toEqual([
    0,
    2,
    'fovea/b/stats',
    {
      uptime_s: 120,
      streams: {
        door: {
          state: 'running',
          fps_in: 5,
          fps_out: 4.8,
          dropped: 3,
          queue_depth: 1,
          inference_ms: 16.2,
          restarts: 0,
        },
      },
      outbox: { depth: 0, bytes: 0, oldest_age_s: null, dropped_frames: 0 },
    },
  ]);
});

/** publish@1 with events on, whose tracked-object messages go to `sent`; and a frame of one tracked object. */
async function objectStage(sent: (type: string, after: TrackedObjectState) => void) {
  const { publishStage } = await import('../../appliance/pipeline/stages/publish');
  const { emptyFrame } = await import('../../appliance/pipeline/types');
  const { letterboxOf } = await import('../../appliance/inference/detect/types');
  const stage = await publishStage.create({ events: true, detections_per_s: 0, counts: false }, {
    publisher: { object: async (type: string, _b: unknown, after: TrackedObjectState) => void sent(type, after) },
    log: { warn() {}, info() {}, error() {}, debug() {} },
    revision: () => null,
    sessionId: '0190abcd-0000-7000-8000-000000000000',
  } as never);
  const frame = (tracked: Partial<Detection>) => {
    const f = emptyFrame({
      stream: 's',
      seq: 0,
      ptsS: 0,
      decodedAt: 0,
      width: 8,
      height: 8,
      pixfmt: 'bgr24',
      pixels: new Uint8Array(8 * 8 * 3),
      letterbox: letterboxOf(8, 8, 8, 8, 'top-left'),
    });
    f.tracked = [{ label: 'person', classId: 0, score: 0.9, box: [1, 1, 4, 4], trackId: 7, ...tracked }];
    return f;
  };
  return { stage, frame };
}

describe('publish@1 and sub-labels', () => {
  test("a track's sub-label rides on its events; when a classifier names it (or names it otherwise) an update goes out", async () => {
    const sent: Array<[string, [string, number] | null]> = [];
    const { stage, frame } = await objectStage((type, after) => sent.push([type, after.sub_label]));
    const named = (sub?: { label: string; score: number }) => frame(sub ? { subLabel: sub } : {});
    await stage.run(named());
    await stage.run(named({ label: 'delivery', score: 0.93 }));
    await stage.run(named({ label: 'delivery', score: 0.95 }));
    await stage.run(named({ label: 'resident', score: 0.6 }));
    await stage.settle?.();
    expect(sent).toEqual([
      ['new', null],
      ['update', ['delivery', 0.93]],
      ['update', ['resident', 0.6]],
    ]);
  });
});

describe('publish@1 and read plates', () => {
  test("a track's plate rides as Frigate's recognized_license_plate; a changed reading sends an update", async () => {
    const sent: Array<[string, string | null, number | null]> = [];
    const { stage, frame } = await objectStage((type, after) =>
      sent.push([type, after.recognized_license_plate, after.recognized_license_plate_score]),
    );
    const read = (text?: { text: string; score: number }) => frame({ label: 'car', ...(text && { text }) });
    await stage.run(read());
    await stage.run(read({ text: 'NA52BUV', score: 0.8 }));
    await stage.run(read());
    await stage.run(read({ text: 'NA52BUU', score: 0.97 }));
    await stage.settle?.();
    expect(sent).toEqual([
      ['new', null, null],
      ['update', 'NA52BUV', 0.8],
      ['update', 'NA52BUU', 0.97],
    ]);
  });
});
