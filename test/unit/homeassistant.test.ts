/**
 * Home Assistant's discovery, occupancy and switch, pure (issue 32): every config is one HA
 * accepts (test/helpers/homeassistant.ts holds its docs' rules); the templates read the state
 * fovea publishes; the counts follow tracks and zones; the service withdraws a stream that went,
 * obeys ON and OFF, refuses anything else, and publishes a new snapshot.
 */
import { describe, expect, test } from 'bun:test';
import { commandOf, configsOf, haId, type HaContext } from '../../appliance/homeassistant/discovery';
import { Occupancy } from '../../appliance/homeassistant/occupancy';
import { HomeAssistant } from '../../appliance/homeassistant/service';
import type { Message } from '../../appliance/contracts/messages';
import type { ReviewItem } from '../../appliance/contracts/reviews';
import { haProblems } from '../helpers/homeassistant';

const ctx: HaContext = {
  prefix: 'homeassistant',
  device: 'box 1',
  version: '0.1.0',
  available: 'fovea/box 1/available',
  state: (s) => `fovea/box 1/${s}/ha/state`,
  snapshot: (s) => `fovea/box 1/${s}/ha/snapshot`,
  detectSet: (s) => `fovea/box 1/${s}/detect/set`,
  qos: 1,
};
const gate = { id: 'gate', labels: ['person', 'traffic light'], zones: ['drive'] };

describe('discovery', () => {
  test('a stream becomes occupancy and count per label, counts per zone, a camera and a switch: each a config HA accepts', () => {
    const ms = configsOf(ctx, gate);
    const configs = ms.map((m) => ({ topic: m.topic, c: JSON.parse(m.payload) as Record<string, unknown> }));
    expect(ms.every((m) => m.retain && m.qos === 1)).toBe(true);
    expect(configs.map((x) => x.topic)).toEqual([
      'homeassistant/binary_sensor/fovea_box_1/gate_person_occupancy/config',
      'homeassistant/sensor/fovea_box_1/gate_person_count/config',
      'homeassistant/sensor/fovea_box_1/gate_drive_person_count/config',
      'homeassistant/binary_sensor/fovea_box_1/gate_traffic_light_occupancy/config',
      'homeassistant/sensor/fovea_box_1/gate_traffic_light_count/config',
      'homeassistant/sensor/fovea_box_1/gate_drive_traffic_light_count/config',
      'homeassistant/camera/fovea_box_1/gate_snapshot/config',
      'homeassistant/switch/fovea_box_1/gate_detection/config',
    ]);
    expect(configs.flatMap((x) => haProblems(x.topic, x.c))).toEqual([]);
    // The rules do refuse what HA would.
    expect(haProblems('homeassistant/switch/n/o/config', { name: 'x', unique_id: 'u' })).toEqual([
      'switch needs command_topic',
    ]);
    expect(haProblems('homeassistant/camera/n/o b/config', {})).toEqual([
      'topic homeassistant/camera/n/o b/config is not a discovery topic',
    ]);
    // Unique across the box, all on one device naming the box, available by its Last Will.
    expect(new Set(configs.map((x) => x.c.unique_id)).size).toBe(configs.length);
    expect(new Set(configs.map((x) => JSON.stringify(x.c.device))).size).toBe(1);
    expect(configs[0]!.c).toMatchObject({
      device: { identifiers: ['fovea_box_1'], name: 'fovea box 1' },
      availability_topic: 'fovea/box 1/available',
      payload_available: 'online',
      payload_not_available: 'offline',
      device_class: 'occupancy',
      state_topic: 'fovea/box 1/gate/ha/state',
    });
    expect(configs.at(-1)!.c).toMatchObject({ command_topic: 'fovea/box 1/gate/detect/set', state_on: 'ON' });
    expect(configs.at(-2)!.c).toMatchObject({ topic: 'fovea/box 1/gate/ha/snapshot', image_encoding: 'b64' });
    expect(haId('a/b+c#d é')).toBe('a_b_c_d__');
  });

  test('the templates read the state topic: a label with a space is quoted, a zone is nested', () => {
    const c = Object.fromEntries(
      configsOf(ctx, gate).map((m) => [m.topic.split('/')[3], JSON.parse(m.payload).value_template]),
    );
    expect(c.gate_traffic_light_count).toBe('{{ value_json.counts["traffic light"] | default(0) }}');
    expect(c.gate_drive_person_count).toBe('{{ value_json.zones["drive"]["person"] | default(0) }}');
    expect(c.gate_person_occupancy).toBe(
      `{{ 'ON' if (value_json.counts["person"] | default(0) | int) > 0 else 'OFF' }}`,
    );
    expect(c.gate_detection).toBe('{{ value_json.detect }}');
  });

  test('the switch takes ON and OFF, any case, and nothing else', () => {
    expect(['ON', ' off\n', 'On', 'true', '', '1'].map(commandOf)).toEqual([true, false, true, null, null, null]);
  });
});

describe('occupancy', () => {
  const track = (trackId: number | null, label = 'person') => ({ trackId, label });
  const ev = (type: string, trackId: number, zone = 'drive', label = 'person') => ({
    event: { type, trackId, zone, label },
  });
  test('counts confirmed tracks per label and tracks inside each zone; every key always there; null when unchanged', () => {
    const o = new Occupancy(['person', 'car'], ['drive']);
    expect(o.now(true)).toEqual({
      detect: 'ON',
      counts: { person: 0, car: 0 },
      zones: { drive: { person: 0, car: 0 } },
    });
    // An unconfirmed detection and a label not configured do not count.
    expect(o.update({ tracked: [track(1), track(null), track(2, 'dog')], events: [], endedTracks: [] }, true)).toEqual({
      detect: 'ON',
      counts: { person: 1, car: 0 },
      zones: { drive: { person: 0, car: 0 } },
    });
    expect(o.update({ tracked: [track(1)], events: [], endedTracks: [] }, true)).toBeNull();
    const s = o.update(
      {
        tracked: [track(1), track(3, 'car')],
        events: [ev('enter', 1), ev('enter', 3, 'drive', 'car')],
        endedTracks: [],
      },
      true,
    );
    expect(s).toMatchObject({ counts: { person: 1, car: 1 }, zones: { drive: { person: 1, car: 1 } } });
    expect(
      o.update({ tracked: [track(3, 'car')], events: [ev('leave', 3, 'drive', 'car')], endedTracks: [1] }, true),
    ).toMatchObject({
      counts: { person: 0, car: 1 },
      zones: { drive: { person: 0, car: 0 } },
    });
    // A track the tracker lost for a moment (not ended) is in no count, its zone's included.
    expect(o.update({ tracked: [track(9)], events: [ev('enter', 9)], endedTracks: [] }, true)).toMatchObject({
      counts: { person: 1 },
      zones: { drive: { person: 1 } },
    });
    expect(o.update({ tracked: [track(3, 'car')], events: [], endedTracks: [] }, true)).toMatchObject({
      counts: { person: 0, car: 1 },
      zones: { drive: { person: 0, car: 0 } },
    });
    expect(o.update({ tracked: [], events: [], endedTracks: [3, 9] }, false)).toEqual({
      detect: 'OFF',
      counts: { person: 0, car: 0 },
      zones: { drive: { person: 0, car: 0 } },
    });
  });
});

describe('the service', () => {
  function setup(announced: string[] = []) {
    const sent: Message[] = [];
    const handlers = new Map<string, (p: Buffer) => void>();
    const frames = new Map<string, (f: unknown) => void>();
    const off = new Set<string>();
    let saved = announced;
    const warned: string[] = [];
    const ha = new HomeAssistant({
      ctx,
      publish: async (m) => void sent.push(m),
      subscribe: (t, fn) => void handlers.set(t, fn),
      watch: (id, fn) => {
        frames.set(id, fn as (f: unknown) => void);
        return () => frames.delete(id);
      },
      detection: {
        get: (id) => !off.has(id),
        set: (id, on) => {
          if (on) off.delete(id);
          else off.add(id);
          return true;
        },
      },
      thumbnail: async () => new Uint8Array([0xff, 0xd8, 0xff]),
      announced: {
        load: async () => saved,
        save: async (t) => {
          saved = t;
        },
      },
      log: {
        info() {},
        warn: (m: string) => void warned.push(m),
        error() {},
        debug() {},
        child() {
          return this;
        },
      } as never,
    });
    return { ha, sent, handlers, frames, off, warned, saved: () => saved };
  }
  const stateOf = (sent: Message[], stream = 'gate') =>
    JSON.parse(sent.filter((m) => m.topic === ctx.state(stream)).at(-1)!.payload) as {
      detect: string;
      counts: Record<string, number>;
    };

  test('announces, follows frames, obeys the switch, refuses other words; a stream gone is withdrawn, state and snapshot too', async () => {
    const t = setup();
    await t.ha.sync([gate, { id: 'yard', labels: ['car'], zones: [] }]);
    expect(t.sent.filter((m) => m.topic.endsWith('/config')).length).toBe(8 + 4);
    expect(stateOf(t.sent).detect).toBe('ON');
    t.frames.get('gate')!({ tracked: [{ trackId: 1, label: 'person' }], events: [], endedTracks: [] });
    expect(stateOf(t.sent).counts.person).toBe(1);
    t.handlers.get(ctx.detectSet('gate'))!(Buffer.from('OFF'));
    expect([stateOf(t.sent).detect, t.off.has('gate')]).toEqual(['OFF', true]);
    t.handlers.get(ctx.detectSet('gate'))!(Buffer.from('maybe'));
    expect([stateOf(t.sent).detect, t.warned]).toEqual([
      'OFF',
      ['home assistant: the detection switch takes ON or OFF'],
    ]);
    t.handlers.get(ctx.detectSet('gate'))!(Buffer.from('on'));
    expect(stateOf(t.sent).detect).toBe('ON');
    const item = { id: 'r1', stream: 'yard', thumb: 'img1' } as ReviewItem;
    t.ha.review({ type: 'new', before: null, after: item });
    await Bun.sleep(0);
    const snap = t.sent.find((m) => m.topic === ctx.snapshot('yard'))!;
    expect([snap.retain, Buffer.from(snap.payload, 'base64')[0]]).toEqual([true, 0xff]);
    // The same thumbnail again is not sent again.
    t.ha.review({ type: 'update', before: item, after: { ...item } });
    await Bun.sleep(0);
    expect(t.sent.filter((m) => m.topic === ctx.snapshot('yard')).length).toBe(1);

    t.sent.length = 0;
    await t.ha.sync([gate]);
    const removed = t.sent.filter((m) => m.payload === '').map((m) => m.topic);
    expect(removed.sort()).toEqual(
      [
        'homeassistant/binary_sensor/fovea_box_1/yard_car_occupancy/config',
        'homeassistant/sensor/fovea_box_1/yard_car_count/config',
        'homeassistant/camera/fovea_box_1/yard_snapshot/config',
        'homeassistant/switch/fovea_box_1/yard_detection/config',
        ctx.state('yard'),
        ctx.snapshot('yard'),
      ].sort(),
    );
    expect(t.frames.has('yard')).toBe(false);
    expect(t.saved().some((x) => x.includes('yard'))).toBe(false);
  });

  test('what an earlier run announced is withdrawn when its stream is no longer there (or discovery is off)', async () => {
    const t = setup(['homeassistant/switch/fovea_box_1/old_detection/config', ctx.state('old')]);
    await t.ha.sync([]);
    expect(t.sent.map((m) => [m.topic, m.payload, m.retain])).toEqual([
      ['homeassistant/switch/fovea_box_1/old_detection/config', '', true],
      [ctx.state('old'), '', true],
    ]);
    expect(t.saved()).toEqual([]);
  });
});
