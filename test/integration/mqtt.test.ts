/**
 * The MQTT publisher against a real mosquitto: messages in order; the broker stopped and restarted
 * mid-run loses nothing and keeps the order (the outbox holds and drains); availability is retained.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Db } from '../../appliance/store/duckdb';
import { migrate } from '../../appliance/store/migrate';
import { Outbox } from '../../appliance/store/outbox';
import { MqttPublisher } from '../../appliance/publish/mqtt';
import { eventMessage, topics } from '../../appliance/publish/topics';
import { createLogger } from '../../appliance/shared/log';
import { tempDir, waitFor } from '../helpers/fixtures';
import { startMosquitto } from '../helpers/mosquitto';

test('a broker restart mid-run loses no event and keeps the order; the outbox drains', async () => {
  await using dir = await tempDir();
  await using broker = await startMosquitto();
  const db = await Db.open(join(dir.path, 'o.duckdb'));
  await migrate(db);
  const t = topics('fovea', 'box-1');
  // The outbox's clock runs ahead on demand, so the held messages age without the test sleeping.
  let ahead = 0;
  const clock = { now: () => Date.now() + ahead };
  const pub = new MqttPublisher(
    { url: broker.url, clientId: 'fovea-box-1', availableTopic: t.available, qos: 1 },
    await Outbox.open(db, { maxMessages: 1000, maxBytes: 1e7 }, clock),
    createLogger(),
    t,
  );
  // A subscriber with a persistent session, so the broker keeps its messages across the restart.
  const got: number[] = [];
  const sub = mqtt.connect(broker.url, { clientId: 'watcher', clean: false, reconnectPeriod: 200 });
  sub.on('message', (topic, payload) => {
    if (topic === t.events) got.push(JSON.parse(payload.toString()).after.track_id);
  });
  await new Promise<void>((r) => sub.on('connect', () => r()));
  await sub.subscribeAsync(`fovea/box-1/#`, { qos: 1 });
  await waitFor(() => pub.connected, 10_000, 'publisher connected');
  const ev = (n: number) =>
    eventMessage(
      t,
      'new',
      null,
      {
        id: `e${n}`,
        stream: 's',
        label: 'person',
        score: 0.9,
        box: [0, 0, 1, 1],
        zones: [],
        track_id: n,
        snapshot_url: null,
        sub_label: null,
        recognized_license_plate: null,
        recognized_license_plate_score: null,
      },
      1,
      null,
    );

  for (let n = 1; n <= 5; n++) await pub.publish(ev(n));
  await waitFor(() => got.length >= 5, 10_000, 'first five');
  await broker.stop();
  await waitFor(() => !pub.connected, 10_000, 'publisher to notice');
  for (let n = 6; n <= 15; n++) await pub.publish(ev(n));
  const held = pub.status().outbox_depth;
  ahead = 1100;
  const heldAge = pub.status().outbox_oldest_age_s;
  await broker.start();
  await waitFor(() => pub.status().outbox_depth === 0 && pub.connected, 20_000, 'outbox drained');
  await pub.idle();
  await waitFor(() => new Set(got).size >= 15, 20_000, 'all fifteen at the subscriber');
  const firstSeen = got.filter((n, i) => got.indexOf(n) === i);
  expect({ held, heldAge, drainedAge: pub.status().outbox_oldest_age_s, firstSeen }).toEqual({
    held: 10,
    heldAge: 1,
    drainedAge: null,
    firstSeen: Array.from({ length: 15 }, (_, i) => i + 1),
  });

  // Availability is retained: a newcomer sees 'online'.
  const late = mqtt.connect(broker.url, { clientId: 'late' });
  const seen = new Promise<string>((r) => late.on('message', (_t, p) => r(p.toString())));
  await new Promise<void>((r) => late.on('connect', () => r()));
  await late.subscribeAsync(t.available, { qos: 1 });
  expect(await seen).toBe('online');
  await late.endAsync();
  await sub.endAsync();
  await pub.close();
  db.close();
}, 90_000);

import { VIDEOS, startAppliance, stream } from '../helpers/fixtures';

test('the person video reaches an MQTT subscriber as new/update/end per track, counts and rate-limited detections', async () => {
  await using broker = await startMosquitto();
  const msgs: Array<{ topic: string; body: string; retain: boolean }> = [];
  const sub = mqtt.connect(broker.url, { clientId: 'watcher2' });
  sub.on('message', (topic, payload, packet) => msgs.push({ topic, body: payload.toString(), retain: packet.retain }));
  await new Promise<void>((r) => sub.on('connect', () => r()));
  await sub.subscribeAsync('fovea/box-test/#', { qos: 1 });
  await using app = await startAppliance({
    device_id: 'box-test',
    mqtt: { url: broker.url, stats_interval_s: 1 },
    streams: [
      stream({ id: 'table', url: join(VIDEOS, 'one-by-one-person-detection.mp4'), pipeline: 'people', fps: 2 }),
    ],
  });
  await waitFor(() => app.rt.streams.get('table')!.view().state === 'stopped', 120_000, 'video analysed');
  await app.rt.mqtt!.idle();
  const events = () =>
    msgs
      .filter((m) => m.topic === 'fovea/box-test/events')
      .map((m) => JSON.parse(m.body) as { type: string; after: { track_id: number; zones: string[] } });
  // Every track ends, including those still in view when the file ends (the final frame ends them).
  await waitFor(
    () => {
      const e = events();
      const ids = new Set(e.map((x) => x.after.track_id));
      return ids.size > 0 && [...ids].every((id) => e.some((x) => x.type === 'end' && x.after.track_id === id));
    },
    20_000,
    'an end for every track',
  );
  const byTrack = new Map<number, string[]>();
  for (const e of events()) byTrack.set(e.after.track_id, [...(byTrack.get(e.after.track_id) ?? []), e.type]);
  const detections = msgs.filter((m) => m.topic === 'fovea/box-test/table/detections');
  const counts = msgs.filter((m) => m.topic === 'fovea/box-test/table/person');
  const status = (await (await app.api('/api/publish/status')).json()) as {
    mqtt: { connected: boolean; outbox_depth: number };
  };
  // Every track: 'new' first, 'end' last and only once, updates between (entering the scene zone).
  const tracks = [...byTrack.values()];
  expect(
    tracks.every(
      (t) => t[0] === 'new' && t.at(-1) === 'end' && t.indexOf('end') === t.length - 1 && t.includes('update'),
    ),
  ).toBe(true);
  // The video is 139 s: at most one detections message per second of video.
  expect([
    byTrack.size,
    detections.length,
    detections.length,
    counts.length,
    counts.every((c) => /^\d+$/.test(c.body)),
    status.mqtt.connected,
    status.mqtt.outbox_depth,
  ]).toEqual([expect.atLeast(3), expect.above(20), expect.atMost(140), expect.above(0), true, true, 0]);
  expect(msgs.some((m) => m.topic === 'fovea/box-test/available' && m.body === 'online')).toBe(true);
  const stats = msgs
    .filter((m) => m.topic === 'fovea/box-test/stats')
    .map((m) => JSON.parse(m.body) as { streams: Record<string, { fps_out: number }> });
  expect([stats.length, 'table' in stats[0]!.streams]).toEqual([expect.atLeast(1), true]);
  await sub.endAsync();
}, 180_000);

import { spawnFovea } from '../helpers/process';

test('SIGKILL: the broker publishes offline (the will); an outbox left by a kill is delivered, in order, after restart', async () => {
  await using state = await tempDir();
  await using broker = await startMosquitto();
  const got: Array<{ topic: string; body: string }> = [];
  // A persistent session, so the broker keeps what it is sent while this subscriber reconnects.
  // (resubscribe off: the session keeps the subscription, and a new SUBSCRIBE would resend retained counts)
  const sub = mqtt.connect(broker.url, {
    clientId: 'kill-watcher',
    clean: false,
    reconnectPeriod: 200,
    resubscribe: false,
  });
  sub.on('message', (topic, payload) => got.push({ topic, body: payload.toString() }));
  await new Promise<void>((r) => sub.on('connect', () => r()));
  // Home Assistant's discovery too: the outbox holds what the box announces there as well.
  await sub.subscribeAsync(['fovea/box-kill/#', 'homeassistant/#'], { qos: 1 });
  const availability = () => got.filter((m) => m.topic === 'fovea/box-kill/available').at(-1)?.body;
  // No key and no rate limit: the test polls the API many times a second.
  const config = {
    device_id: 'box-kill',
    api: { auth: false, rate_limit_per_minute: 1_000_000 },
    mqtt: { url: broker.url, stats_interval_s: 3600 },
  };
  const status = async (url: string) => {
    const res = await fetch(`${url}/api/publish/status`);
    if (!res.ok) throw new Error(`/api/publish/status: ${res.status} ${await res.text()}`);
    return (await res.json()) as { mqtt: { connected: boolean; outbox_depth: number } };
  };

  // 1. Connected, then killed: the broker publishes the will.
  await using a = await spawnFovea(state.path, config);
  await waitFor(() => availability() === 'online', 20_000, 'online');
  await a.kill('SIGKILL');
  await waitFor(() => availability() === 'offline', 20_000, 'offline from the will');

  // 2. The broker is away: a video run queues its messages in the outbox; killed with them queued.
  await broker.stop();
  await using b = await spawnFovea(state.path, {
    ...config,
    streams: [
      {
        id: 'table',
        url: join(VIDEOS, 'one-by-one-person-detection.mp4'),
        pipeline: 'people',
        fps: 2,
        realtime: false,
      },
    ],
  });
  await waitFor(
    async () => ((await (await fetch(`${b.url}/api/streams/table`)).json()) as { state: string }).state === 'stopped',
    150_000,
    'video analysed',
  );
  const queued = (await status(b.url)).mqtt.outbox_depth;
  await b.kill('SIGKILL');
  const before = got.length;

  // 3. Broker back, appliance restarted (without the stream): online again, and the outbox drains.
  await broker.start();
  await waitFor(() => sub.connected, 10_000, 'the subscriber back');
  await using c = await spawnFovea(state.path, config);
  await waitFor(
    async () => {
      const s = await status(c.url);
      return s.mqtt.connected && s.mqtt.outbox_depth === 0;
    },
    30_000,
    'outbox drained',
  );
  await waitFor(() => got.length - before >= queued, 20_000, 'the queued messages at the subscriber');
  const online = availability();
  // A clean stop publishes 'offline' last, after everything it queued: once the subscriber has it,
  // every earlier message of this run is in (no sleep to wait for stragglers or duplicates).
  await c.kill('SIGTERM');
  await waitFor(() => availability() === 'offline', 20_000, 'offline at the clean stop');
  const after = got.slice(before);
  // The restarted box has no stream: it withdraws the stream's Home Assistant state (empty retained
  // messages). Those are its own, not the queue's.
  const delivered = after.filter((m) => m.topic !== 'fovea/box-kill/available' && m.body !== '');
  const byTrack = new Map<number, string[]>();
  for (const m of delivered.filter((x) => x.topic === 'fovea/box-kill/events')) {
    const e = JSON.parse(m.body) as { type: string; after: { track_id: number } };
    byTrack.set(e.after.track_id, [...(byTrack.get(e.after.track_id) ?? []), e.type]);
  }
  expect({
    queued: queued > 20 && queued,
    delivered: delivered.length,
    online,
    tracks: byTrack.size >= 3 && byTrack.size,
  }).toEqual({
    queued,
    delivered: queued,
    online: 'online',
    tracks: byTrack.size,
  });
  const bad = [...byTrack.entries()].filter(
    ([, t]) => !(t[0] === 'new' && t.at(-1) === 'end' && t.indexOf('end') === t.length - 1),
  );
  expect(bad).toEqual([]);
  await sub.endAsync();
}, 300_000);

test('mqtts: with the broker CA in ca_file the appliance connects and publishes; without it, the error says why', async () => {
  await using broker = await startMosquitto({ tls: true });
  const got: string[] = [];
  const sub = mqtt.connect(broker.url, { clientId: 'tls-watcher', ca: await Bun.file(broker.caFile!).text() });
  sub.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  await new Promise<void>((r, j) => {
    sub.on('connect', () => r());
    sub.on('error', j);
  });
  await sub.subscribeAsync('fovea/box-tls/available', { qos: 1 });
  {
    await using app = await startAppliance({ device_id: 'box-tls', mqtt: { url: broker.url, ca_file: broker.caFile } });
    await waitFor(() => app.rt.mqtt!.connected, 10_000, 'TLS connection');
    await waitFor(() => got.includes('fovea/box-tls/available online'), 10_000, 'online over TLS');
  }
  await using untrusted = await startAppliance({ device_id: 'box-tls2', mqtt: { url: broker.url } });
  const st = await waitFor(() => untrusted.rt.mqtt!.status().last_error, 10_000, 'a TLS error');
  expect([untrusted.rt.mqtt!.connected, st]).toEqual([
    false,
    expect.stringMatching(/self[- ]signed|unable to verify|certificate/i),
  ]);
  await sub.endAsync();
}, 60_000);
