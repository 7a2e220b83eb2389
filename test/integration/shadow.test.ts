/**
 * Shadow pipelines on a real box: the person video through the live `people` pipeline twice, one
 * stream with a shadow at a stricter score and one without. The shadow reports fewer detections and
 * the direction of its events; the shadowed stream's live events and MQTT messages are exactly
 * those of the plain one; the shadow's results are in their own tables and nowhere else; the
 * retained summary and the metrics say the same as the API.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { startAppliance, stream, tempDir, VIDEOS, waitFor } from '../helpers/fixtures';
import { startMosquitto } from '../helpers/mosquitto';
import type { ShadowReport } from '../../appliance/shadow/runner';

/**
 * The person video at 4x speed (40 fps): analysed at 8 fps in real time it gives the frames 2 fps
 * gives of the original, in a quarter of the time. Real time, so the shadow sees every frame: a file
 * read at full speed outruns a second pipeline and its frames would be shed.
 */
async function fastVideo(dir: string): Promise<string> {
  const out = join(dir, 'person-4x.mp4');
  const p = Bun.spawn(
    [
      'ffmpeg',
      '-loglevel',
      'error',
      '-i',
      join(VIDEOS, 'one-by-one-person-detection.mp4'),
      '-vf',
      'setpts=0.25*PTS',
      '-r',
      '40',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      out,
    ],
    { stderr: 'pipe' },
  );
  if ((await p.exited) !== 0) throw new Error(await new Response(p.stderr).text());
  return out;
}

test('a shadow at a stricter score (0.9): fewer detections and events reported, the live events and MQTT output untouched', async () => {
  await using broker = await startMosquitto();
  const msgs: Array<{ topic: string; body: string; retain: boolean }> = [];
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'shadow-watcher' });
  await using _sub = { [Symbol.asyncDispose]: () => sub.endAsync() };
  sub.on('message', (topic, payload, packet) => msgs.push({ topic, body: payload.toString(), retain: packet.retain }));
  await sub.subscribeAsync('fovea/box-sh/#', { qos: 1 });
  await using dir = await tempDir();
  const live = { url: await fastVideo(dir.path), pipeline: 'people', fps: 8, realtime: true };
  await using app = await startAppliance({
    device_id: 'box-sh',
    mqtt: { url: broker.url, stats_interval_s: 3600 },
    streams: [
      stream({ id: 'plain', ...live }),
      stream({
        id: 'shadowed',
        ...live,
        shadow: { pipeline: 'people', overrides: { 'detect.score': 0.9 }, sample: 1, window_s: 10, queue: 64 },
      }),
    ],
  });
  for (const id of ['plain', 'shadowed'])
    await waitFor(() => app.rt.streams.get(id)!.view().state === 'stopped', 150_000, `${id} analysed`);
  await app.rt.sink.flush();
  const report = await waitFor(
    async () => {
      const r = (await (await app.api('/api/shadow/shadowed')).json()) as ShadowReport;
      return r.frames.queued === 0 && r;
    },
    30_000,
    'the shadow done',
  );
  const frames = app.rt.streams.get('shadowed')!.view().frames_analysed;
  const t = report.total;
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const person = (side: Record<string, number>, type: string) => side[`${type} person`] ?? 0;
  // Every frame offered (sample 1) was run or shed and nothing failed; only frames the shadow ran
  // were compared. On a quiet machine none is shed; on a loaded one shedding is what is specified
  // (the live side never waits), and then the report must still add up.
  const f = report.frames;
  expect({ ...f, compared: t.frames, sum: f.analysed + f.shed + f.failed + f.queued }).toEqual({
    offered: frames,
    analysed: f.analysed,
    shed: f.shed,
    failed: 0,
    queued: 0,
    compared: f.analysed,
    sum: frames,
  });
  console.log(`shadow: ${frames} frames offered, ${f.analysed} compared, ${f.shed} shed`);
  expect([report.live.pipeline, report.shadow.pipeline, report.shadow.overrides]).toEqual([
    'people',
    'people',
    { 'detect.score': 0.9 },
  ]);
  // A stricter score: fewer person boxes, every shadow box one of the live ones (same model, same frames).
  expect(t.detections.shadow.person!).toBeLessThan(t.detections.live.person!);
  expect([t.boxes.shadow_only, t.boxes.matched]).toEqual([0, t.detections.shadow.person!]);
  expect(t.boxes.mean_iou).toBe(1);
  // Events: the shadow loses person enters (tracks it never starts), gains none. A shed frame breaks
  // the shadow's tracks where the live side's go on, so this holds when none was shed.
  if (f.shed === 0) {
    expect(person(t.events.shadow, 'enter')).toBeLessThan(person(t.events.live, 'enter'));
    expect(t.events.gained).toEqual({});
    expect(t.events.lost['enter person']).toBe(person(t.events.live, 'enter') - person(t.events.shadow, 'enter'));
  }
  expect(Object.keys(report.stage_ms.shadow)).toEqual(['motion', 'detect', 'track', 'events', 'store', 'publish']);
  expect(report.cost.shadow_ms_per_frame).toBeGreaterThan(0);

  // The live side of the shadowed stream is the plain stream's, event for event.
  const liveEvents = async (s: string) =>
    app.rt.db.all<{ k: string }>(
      "SELECT type || ' ' || label || ' ' || coalesce(CAST(track_id AS VARCHAR), '-') AS k FROM events WHERE stream = $1 ORDER BY seq",
      [s],
    );
  const plain = (await liveEvents('plain')).map((r) => r.k);
  expect(plain.length).toBeGreaterThan(0);
  expect((await liveEvents('shadowed')).map((r) => r.k)).toEqual(plain);
  expect(sum(t.events.live)).toBe(plain.length);
  // The shadow's results are in its own tables, as many as it reported.
  const stored = await app.rt.db.all<{ n: bigint }>(
    "SELECT count(*) AS n FROM shadow_detections WHERE stream = 'shadowed' AND pipeline = 'people'",
  );
  expect(Number(stored[0]!.n)).toBe(t.detections.shadow.person!);

  // MQTT: the same messages for both streams, none from the shadow; the retained summary names it.
  await app.rt.mqtt!.idle();
  await waitFor(() => msgs.some((m) => m.topic === 'fovea/box-sh/shadow'), 20_000, 'the shadow summary');
  const ofStream = (s: string) =>
    msgs
      .filter((m) => m.topic === 'fovea/box-sh/events')
      .map((m) => JSON.parse(m.body) as { type: string; after: { stream: string; track_id: number; label: string } })
      .filter((m) => m.after.stream === s)
      .map((m) => `${m.type} ${m.after.label} ${m.after.track_id}`);
  expect(ofStream('plain').length).toBeGreaterThan(0);
  expect(ofStream('shadowed')).toEqual(ofStream('plain'));
  const counts = (s: string) => msgs.filter((m) => m.topic === `fovea/box-sh/${s}/person`).map((m) => m.body);
  expect(counts('shadowed')).toEqual(counts('plain'));
  const summary = JSON.parse(msgs.findLast((m) => m.topic === 'fovea/box-sh/shadow')!.body) as {
    shadows: Array<{ stream: string; shadow: { pipeline: string } }>;
  };
  expect(summary.shadows.map((s) => [s.stream, s.shadow.pipeline])).toEqual([['shadowed', 'people']]);

  // The metrics say what the report says.
  const metrics = await (await app.api('/metrics')).text();
  const v = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1]);
  expect([
    v('fovea_shadow_frames_total{stream="shadowed",shadow="people",outcome="analysed"}'),
    v('fovea_shadow_detections_total{stream="shadowed",side="shadow",label="person"}'),
    v('fovea_shadow_box_agreement{stream="shadowed"}'),
  ]).toEqual([frames, t.detections.shadow.person!, t.boxes.agreement!]);
  // A stream without a shadow has no report.
  expect((await app.api('/api/shadow/plain')).status).toBe(404);
  expect(((await (await app.api('/api/shadow')).json()) as { items: unknown[] }).items.length).toBe(1);
}, 200_000);

test('a shadow that needs other frames than the live pipeline (another model input) is refused before anything starts', async () => {
  await using dir = await tempDir();
  await mkdir(join(dir.path, 'pipelines'));
  await writeFile(
    join(dir.path, 'pipelines/small.yaml'),
    'input:\n  fps: 5\nstages:\n  detect:\n    type: detect@1\n    options:\n      model: nanodet-m@1\n',
  );
  const started = startAppliance(
    {
      streams: [
        stream({
          id: 'door',
          url: join(VIDEOS, 'people-detection_from-gif.mp4'),
          pipeline: 'people',
          shadow: { pipeline: 'small' },
        }),
      ],
    },
    dir.path,
  );
  await expect(started).rejects.toThrow(
    "stream 'door': shadow pipeline 'small' needs 320x320 bgr24 frames, the live pipeline 'people' decodes 416x416 bgr24",
  );
}, 60_000);
