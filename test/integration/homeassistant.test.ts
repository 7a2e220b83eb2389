/**
 * Home Assistant discovery over a real mosquitto (issue 32): the appliance runs the person video as
 * a camera with MQTT on; a watcher sees each config HA's docs require (test/helpers/homeassistant.ts),
 * retained, naming the box, available by its Last Will; the stream's state follows the video (a
 * person counted, in the scene zone); the camera gets a JPEG; the switch stops detection (counts go
 * to 0 and stay there while frames still flow) and starts it again, through MQTT and through the
 * API, which refuse what is neither on nor off; a stream that goes has its configs removed; the box
 * going says offline.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import mqtt, { type MqttClient } from 'mqtt';
import { personStream, startAppliance, waitFor, type Appliance } from '../helpers/fixtures';
import { startMosquitto, type Broker } from '../helpers/mosquitto';
import { haProblems } from '../helpers/homeassistant';

let broker: Broker;
let app: Appliance | null;
let watcher: MqttClient;
/** Every message seen, in order. */
const seen: Array<{ topic: string; body: string; retain: boolean; at: number }> = [];
const last = (topic: string) => seen.findLast((m) => m.topic === topic);

const NODE = 'homeassistant/+/fovea_box-ha/';
const STATE = 'fovea/box-ha/table/ha/state';
const SET = 'fovea/box-ha/table/detect/set';
type State = { detect: string; counts: { person: number }; zones: { scene: { person: number } } };
const state = () => {
  const m = last(STATE);
  return m ? (JSON.parse(m.body) as State) : null;
};

beforeAll(async () => {
  broker = await startMosquitto();
  watcher = mqtt.connect(broker.url, { clientId: 'ha-watcher' });
  watcher.on('message', (topic, payload, packet) =>
    seen.push({ topic, body: payload.toString(), retain: packet.retain, at: Date.now() }),
  );
  await new Promise<void>((r) => watcher.on('connect', () => r()));
  await watcher.subscribeAsync(['homeassistant/#', 'fovea/box-ha/#'], { qos: 1 });
  app = await startAppliance({
    device_id: 'box-ha',
    mqtt: { url: broker.url, stats_interval_s: 3600 },
    streams: [personStream('table')],
  });
}, 120_000);

afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
  await watcher?.endAsync();
  await broker?.[Symbol.asyncDispose]();
});

/**
 * What a subscriber arriving now gets as retained under `filter` (as HA does when it starts): a
 * sentinel it publishes itself arrives after every retained message the broker had for it.
 */
async function retainedUnder(filter: string): Promise<Map<string, string>> {
  const c = mqtt.connect(broker.url, { clientId: `late-${seen.length}` });
  const got = new Map<string, string>();
  let done = false;
  c.on('message', (topic, payload, packet) => {
    if (topic === 'late/sentinel') done = true;
    else if (packet.retain) got.set(topic, payload.toString());
  });
  await new Promise<void>((r) => c.on('connect', () => r()));
  await c.subscribeAsync([filter, 'late/sentinel'], { qos: 1 });
  await c.publishAsync('late/sentinel', 'x', { qos: 1 });
  await waitFor(() => done, 10_000, 'the sentinel back');
  await c.endAsync();
  return got;
}

const configs = () => {
  const byTopic = new Map<string, string>();
  for (const m of seen) if (m.topic.startsWith('homeassistant/')) byTopic.set(m.topic, m.body);
  return byTopic;
};

test('each stream is announced as HA requires: occupancy, counts per label and zone, a camera, a switch', async () => {
  await waitFor(() => configs().size >= 5, 30_000, 'five discovery configs');
  const all = [...configs()].map(([topic, body]) => ({ topic, c: JSON.parse(body) as Record<string, unknown> }));
  expect(all.map((x) => x.topic).sort()).toEqual(
    [
      'homeassistant/binary_sensor/fovea_box-ha/table_person_occupancy/config',
      'homeassistant/sensor/fovea_box-ha/table_person_count/config',
      'homeassistant/sensor/fovea_box-ha/table_scene_person_count/config',
      'homeassistant/camera/fovea_box-ha/table_snapshot/config',
      'homeassistant/switch/fovea_box-ha/table_detection/config',
    ].sort(),
  );
  expect(all.flatMap((x) => haProblems(x.topic, x.c))).toEqual([]);
  expect(new Set(all.map((x) => x.c.availability_topic))).toEqual(new Set(['fovea/box-ha/available']));
  expect(all[0]!.c.device).toMatchObject({ identifiers: ['fovea_box-ha'], name: 'fovea box-ha' });
  await waitFor(() => last('fovea/box-ha/available')?.body === 'online', 10_000, 'the box says online');
  // HA starting after the box gets every config: they are retained.
  expect([...(await retainedUnder(`${NODE}#`)).keys()].sort()).toEqual(all.map((x) => x.topic).sort());
}, 60_000);

test("the state follows the video, and the camera shows the item's snapshot", async () => {
  await waitFor(() => (state()?.counts.person ?? 0) >= 1, 60_000, 'a person counted');
  await waitFor(() => (state()?.zones.scene.person ?? 0) >= 1, 60_000, 'a person counted in the scene zone');
  const snap = await waitFor(() => last('fovea/box-ha/table/ha/snapshot'), 60_000, 'a snapshot on the camera topic');
  const jpeg = Buffer.from(snap.body, 'base64');
  expect([jpeg[0], jpeg[1], jpeg.length > 1000]).toEqual([0xff, 0xd8, true]);
  expect((await retainedUnder('fovea/box-ha/table/ha/#')).has('fovea/box-ha/table/ha/snapshot')).toBe(true);
}, 150_000);

test('the switch stops detection (counts 0 while frames flow) and starts it again; MQTT and the API, same refusals', async () => {
  const a = app!;
  const view = async () =>
    (await (await a.api('/api/streams/table')).json()) as { detection: boolean; frames_analysed: number };
  await watcher.publishAsync(SET, 'OFF', { qos: 1 });
  await waitFor(() => state()?.detect === 'OFF', 10_000, 'the state says OFF');
  expect((await view()).detection).toBe(false);
  await waitFor(() => state()?.counts.person === 0, 30_000, 'no person counted while detection is off');
  const zeroAt = Date.now();
  const frames = (await view()).frames_analysed;
  await waitFor(async () => (await view()).frames_analysed >= frames + 15, 30_000, 'frames still analysed');
  const whileOff = seen.filter((m) => m.topic === STATE && m.at >= zeroAt).map((m) => JSON.parse(m.body) as State);
  expect(whileOff.every((s) => s.counts.person === 0 && s.detect === 'OFF')).toBe(true);
  // Neither ON nor OFF changes nothing.
  await watcher.publishAsync(SET, 'maybe', { qos: 1 });
  await Bun.sleep(300);
  expect((await view()).detection).toBe(false);
  await watcher.publishAsync(SET, 'ON', { qos: 1 });
  await waitFor(() => state()?.detect === 'ON', 10_000, 'the state says ON');
  await waitFor(() => (state()?.counts.person ?? 0) >= 1, 120_000, 'a person counted again');
  // The same through the API, with its gate (streams:write) and its checks.
  const put = (id: string, body: unknown) =>
    a.api(`/api/streams/${id}/detection`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  expect([(await put('table', { enabled: 'no' })).status, (await put('nope', { enabled: false })).status]).toEqual([
    422, 404,
  ]);
  expect(((await (await put('table', { enabled: false })).json()) as { detection: boolean }).detection).toBe(false);
  await waitFor(() => state()?.detect === 'OFF', 10_000, 'the API switched it off');
  await put('table', { enabled: true });
  await waitFor(() => state()?.detect === 'ON', 10_000, 'the API switched it on');
}, 240_000);

test('a stream that goes has its configs, state and snapshot removed; the box going says offline', async () => {
  const a = app!;
  const from = seen.length;
  await a.rt.streams.reconcile([], a.rt.streams.pipelinesDir, null);
  await waitFor(() => seen.slice(from).filter((m) => m.body === '').length >= 7, 10_000, 'seven empty messages');
  expect(
    seen
      .slice(from)
      .filter((m) => m.body === '')
      .map((m) => m.topic)
      .sort(),
  ).toEqual([...configs().keys(), STATE, 'fovea/box-ha/table/ha/snapshot'].sort());
  await a[Symbol.asyncDispose]();
  app = null;
  await waitFor(() => last('fovea/box-ha/available')?.body === 'offline', 10_000, 'the box says offline');
}, 60_000);
