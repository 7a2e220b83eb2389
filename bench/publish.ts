/**
 * @module Publishing, in one run beside bare baselines: events/s to a real mosquitto (QoS 0 and 1)
 * through fovea's publisher (outbox checks, DuckDB-backed) against a bare mqtt.js loop with the
 * same payloads; events/s to 1, 10 and 100 WebSocket clients through the appliance (DuckDB commit,
 * then fan-out) against a bare Bun WebSocket broadcast; and the latency from a frame decoded to a
 * subscriber receiving its message, over MQTT and WebSocket, on a live-paced video.
 */
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Db } from '../appliance/store/duckdb';
import { eventRowOf } from '../appliance/store/results';
import { eventEnvelope } from '../appliance/publish/envelope';
import { migrate } from '../appliance/store/migrate';
import { Outbox } from '../appliance/store/outbox';
import { MqttPublisher } from '../appliance/publish/mqtt';
import { topics, type TrackedObjectState } from '../appliance/publish/topics';
import { eventMessage } from '../appliance/publish/topics';
import { createLogger } from '../appliance/shared/log';
import { VIDEOS, startAppliance, stream, tempDir, waitFor } from '../test/helpers/fixtures';
import { startMosquitto } from '../test/helpers/mosquitto';
import { eventRecord } from '../test/helpers/events';
import { median, percentile, row } from './lib/stats';

const N_MQTT = 20_000;
const N_WS = 5_000;

const object = (n: number): TrackedObjectState => ({
  id: `cam-${n}-abcdef12`,
  stream: 'cam',
  label: 'person',
  score: 0.87,
  box: [120.5, 80.2, 260.1, 400.9],
  zones: ['door'],
  track_id: n,
  snapshot_url: null,
  sub_label: null,
  recognized_license_plate: null,
  recognized_license_plate_score: null,
});

/** A subscriber that resolves when it has `n` messages on `topic`. */
async function counter(url: string, topic: string, n: number) {
  const sub = mqtt.connect(url, { clientId: `bench-sub-${Math.random()}` });
  await new Promise<void>((r) => sub.on('connect', () => r()));
  await sub.subscribeAsync(topic, { qos: 1 });
  let got = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => {
    done = r;
  });
  sub.on('message', () => {
    if (++got === n) done();
  });
  return { all, end: () => sub.endAsync() };
}

/** Run a rate measurement REPS times, alternating with the others of its row; the median. */
const REPS = 3;
async function medianRates(fns: Array<() => Promise<number>>): Promise<number[]> {
  const runs: number[][] = fns.map(() => []);
  for (let r = 0; r < REPS; r++) for (const [i, fn] of fns.entries()) runs[i]!.push(await fn());
  return runs.map(median);
}

async function mqttRows(): Promise<string[]> {
  await using broker = await startMosquitto();
  await using dir = await tempDir();
  const db = await Db.open(join(dir.path, 'b.duckdb'));
  await migrate(db);
  const t = topics('fovea', 'bench');
  const out: string[] = [];
  for (const qos of [0, 1] as const) {
    const msgs = Array.from({ length: N_MQTT }, (_, i) => eventMessage(t, 'update', object(i), object(i), qos, null));
    // Baseline: mqtt.js alone, the same payloads, one publish awaited after another.
    const bare = async () => {
      const c = mqtt.connect(broker.url, { clientId: 'bench-bare' });
      await new Promise<void>((r) => c.on('connect', () => r()));
      const sub = await counter(broker.url, t.events, N_MQTT);
      const t0 = performance.now();
      for (const m of msgs) await c.publishAsync(m.topic, m.payload, { qos });
      await sub.all;
      const rate = N_MQTT / ((performance.now() - t0) / 1000);
      await sub.end();
      await c.endAsync();
      return rate;
    };
    const fovea = async () => {
      const pub = new MqttPublisher(
        { url: broker.url, clientId: 'bench-fovea', availableTopic: t.available, qos },
        await Outbox.open(db, { maxMessages: 1e6, maxBytes: 1e9 }),
        createLogger({ bench: true }),
        t,
      );
      await waitFor(() => pub.connected, 10_000, 'connected');
      const sub = await counter(broker.url, t.events, N_MQTT);
      const t0 = performance.now();
      for (let i = 0; i < N_MQTT; i++) await pub.object('update', object(i), object(i), null);
      await sub.all;
      const rate = N_MQTT / ((performance.now() - t0) / 1000);
      await sub.end();
      await pub.close();
      return rate;
    };
    const [b, f] = await medianRates([bare, fovea]);
    out.push(
      row([
        `MQTT QoS ${qos}`,
        `bare mqtt.js loop, ${N_MQTT} events of ${msgs[0]!.payload.length} B`,
        Math.round(b!),
        '',
        '',
      ]),
    );
    out.push(
      row([
        `MQTT QoS ${qos}`,
        `fovea publisher (events topic, outbox on standby), ${N_MQTT} events`,
        Math.round(f!),
        (f! / b!).toFixed(2),
        '',
      ]),
    );
  }
  db.close();
  return out;
}

/** WebSocket clients in this process that resolve when each has `n` messages. */
async function wsClients(url: string, count: number, n: number, headers: Record<string, string> = {}) {
  const clients = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(url, { headers, protocols: ['json'] } as never);
          ws.onopen = () => resolve(ws);
          ws.onerror = () => reject(new Error('ws refused'));
        }),
    ),
  );
  const done = Promise.all(
    clients.map(
      (ws) =>
        new Promise<void>((r) => {
          let got = 0;
          ws.onmessage = (e) => {
            if ((JSON.parse(String(e.data)) as { id?: string }).id && ++got === n) r();
          };
        }),
    ),
  );
  return {
    done,
    close: () => {
      for (const c of clients) c.close();
    },
  };
}

async function wsRows(): Promise<string[]> {
  const out: string[] = [];
  await using app = await startAppliance({
    api: { port: 0, ws: { ping_interval_s: 30, max_buffer_bytes: 64 << 20, max_clients: 1000 } },
  });
  // The same bytes a fovea client gets for one event.
  const sample = JSON.stringify(eventEnvelope(eventRowOf(eventRecord(1), 1), app.url));
  const wsUrl = `${app.url.replace('http', 'ws')}/ws/analysis`;
  const headers = { 'x-api-key': app.key };
  let fakeSeq = 1e9;
  for (const count of [1, 10, 100]) {
    // Baseline: a bare Bun WebSocket server sending the same number of messages of that size.
    const bare = async () => {
      const server = Bun.serve({
        port: 0,
        hostname: '127.0.0.1',
        fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response('no')),
        websocket: {
          message() {},
          open(ws) {
            ws.subscribe('all');
          },
        },
      });
      const c = await wsClients(`ws://127.0.0.1:${server.port}`, count, N_WS);
      const t0 = performance.now();
      for (let i = 0; i < N_WS; i++) server.publish('all', sample);
      await c.done;
      const rate = N_WS / ((performance.now() - t0) / 1000);
      c.close();
      server.stop(true);
      return rate;
    };
    // The fan-out alone: committed rows handed to the hub as the store's listener does.
    const hub = async () => {
      const c = await wsClients(wsUrl, count, N_WS, headers);
      const rows = Array.from({ length: N_WS }, (_, i) => eventRowOf(eventRecord(i), ++fakeSeq));
      const t0 = performance.now();
      for (const r of rows) app.rt.hub.events([r]);
      await c.done;
      const rate = N_WS / ((performance.now() - t0) / 1000);
      c.close();
      await Bun.sleep(200);
      return rate;
    };
    // End to end: stored through the sink (DuckDB commit), then fanned out by the commit listener.
    const e2e = async () => {
      const c = await wsClients(wsUrl, count, N_WS, headers);
      const records = Array.from({ length: N_WS }, (_, i) => eventRecord(i));
      const t0 = performance.now();
      await Promise.all(records.map((r) => app.rt.sink.event(r)));
      await c.done;
      const rate = N_WS / ((performance.now() - t0) / 1000);
      c.close();
      await Bun.sleep(200);
      return rate;
    };
    const [b, h, e] = await medianRates([bare, hub, e2e]);
    const who = `WebSocket, ${count} client${count > 1 ? 's' : ''}`;
    out.push(row([who, `bare Bun server.publish, ${N_WS} messages of ${sample.length} B`, Math.round(b!), '', '']));
    out.push(
      row([who, `fovea hub alone: ${N_WS} committed events fanned out`, Math.round(h!), (h! / b!).toFixed(2), '']),
    );
    out.push(
      row([
        who,
        `fovea end to end: ${N_WS} events stored (DuckDB commit), then fanned out`,
        Math.round(e!),
        (e! / b!).toFixed(2),
        '',
      ]),
    );
  }
  return out;
}

async function latencyRows(): Promise<string[]> {
  await using broker = await startMosquitto();
  const mq: number[] = [];
  const ws: number[] = [];
  const sub = mqtt.connect(broker.url, { clientId: 'bench-lat' });
  await new Promise<void>((r) => sub.on('connect', () => r()));
  await sub.subscribeAsync('fovea/bench-lat/+/detections', { qos: 0 });
  sub.on('message', (_t, p) =>
    mq.push(Date.now() - Date.parse((JSON.parse(p.toString()) as { timestamp: string }).timestamp)),
  );
  await using app = await startAppliance({
    device_id: 'bench-lat',
    mqtt: { url: broker.url },
    streams: [
      stream({
        id: 'cam',
        url: join(VIDEOS, 'one-by-one-person-detection.mp4'),
        pipeline: 'people',
        fps: 5,
        realtime: true,
        overrides: { 'publish.detections_per_s': 100 },
      }),
    ],
  });
  const client = new WebSocket(`${app.url.replace('http', 'ws')}/ws/analysis`, {
    headers: { 'x-api-key': app.key },
    protocols: ['json'],
  } as never);
  client.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as { event: string; timestamp: string };
    if (m.event === 'frameAnalyzed') ws.push(Date.now() - Date.parse(m.timestamp));
  };
  await Bun.sleep(30_000);
  client.close();
  await sub.endAsync();
  return [
    row([
      'latency, 5 fps live video',
      `frame decoded -> MQTT subscriber got its detections (QoS 0), ${mq.length} frames`,
      `p50 ${median(mq)} ms`,
      '',
      `p99 ${percentile(mq, 99)} ms`,
    ]),
    row([
      'latency, 5 fps live video',
      `frame decoded -> WebSocket client got frameAnalyzed, ${ws.length} frames`,
      `p50 ${median(ws)} ms`,
      '',
      `p99 ${percentile(ws, 99)} ms`,
    ]),
  ];
}

export async function publishBench(): Promise<string[]> {
  return [...(await mqttRows()), ...(await wsRows()), ...(await latencyRows())];
}
