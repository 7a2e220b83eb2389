/**
 * Recordings and review items end to end on one appliance: the person clip played at its rate as
 * a camera, recorded by stream copy in 2 s segments (continuous), analysed by the people pipeline.
 * Segments are indexed once whole; review items group the activity (alerts: person); clips of a
 * range, an item and an event are cut by stream copy, answer Range requests, and ffprobe reads them
 * with the asked length; a range with no recording is 404 with the reason; reviewed is per user.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { personStream, startAppliance, stream, tempDir, VIDEOS, waitFor, type Appliance } from '../helpers/fixtures';
import { startMosquitto, type Broker } from '../helpers/mosquitto';
import { probeVideo } from '../helpers/media';

/** ffprobe's reading of a clip's bytes. */
async function probe(bytes: Uint8Array): Promise<{ duration: number; codec: string } | null> {
  await using dir = await tempDir('fovea-probe-');
  const path = join(dir.path, 'clip.mp4');
  await Bun.write(path, bytes);
  return await probeVideo(path);
}
import { record, type Recorder } from '../helpers/ws';

let app: Appliance;
let broker: Broker;
let sub: mqtt.MqttClient;
let ws: Recorder;
const reviews: Array<{
  type: string;
  before: unknown;
  after: {
    id: string;
    camera: string;
    severity: string;
    start_time: number;
    end_time: number | null;
    data: { objects: string[] };
  };
}> = [];

beforeAll(async () => {
  broker = await startMosquitto();
  sub = mqtt.connect(broker.url, { clientId: 'review-watcher' });
  await sub.subscribeAsync('fovea/rec-box/reviews', { qos: 1 });
  sub.on('message', (_t, m) => reviews.push(JSON.parse(m.toString())));
  app = await startAppliance({
    device_id: 'rec-box',
    mqtt: { url: broker.url },
    recordings: { min_free_mb: 0, check_interval_s: 1 },
    streams: [
      stream({
        ...personStream('door'),
        record: { enabled: true, mode: 'continuous', segment_s: 2, pre_s: 2, post_s: 2 },
        review: { gap_s: 2 },
      }),
      // Events mode, recording a main stream (`inputs` with the record role) beside the one analysed.
      stream({
        id: 'yard',
        url: join(VIDEOS, 'one-by-one-person-detection.mp4'),
        inputs: [{ url: join(VIDEOS, 'car-detection.mp4'), roles: ['record', 'live'] }],
        pipeline: 'people',
        realtime: true,
        loop: true,
        fps: 2,
        record: { enabled: true, mode: 'events', segment_s: 2, pre_s: 2, post_s: 2 },
      }),
    ],
  });
  ws = await record(`${app.url.replace('http', 'ws')}/ws/analysis`, { headers: { 'x-api-key': app.key } });
}, 120_000);
afterAll(async () => {
  ws?.ws.close();
  await sub?.endAsync();
  await app?.[Symbol.asyncDispose]();
  await broker?.[Symbol.asyncDispose]();
});

const json = async <T>(path: string, init?: RequestInit) => {
  const r = await app.api(path, init);
  return { status: r.status, body: (await r.json()) as T };
};

describe('recordings', () => {
  test('whole segments are indexed with their keyframes; the state says recording', async () => {
    const rows = await waitFor(
      async () => {
        const s = await app.rt.recordings.status();
        return s[0] && s[0].segments >= 3 ? s : null;
      },
      60_000,
      'three segments indexed',
    );
    expect(rows[0]).toMatchObject({ stream: 'door', mode: 'continuous', state: 'recording' });
    const segs = await app.rt.db.all<{ path: string; codec: string; k: number; d: number }>(
      `SELECT path, codec, len(keyframes) AS k, epoch(end_ts) - epoch(start_ts) AS d FROM recording_segments ORDER BY start_ts`,
    );
    for (const s of segs) {
      expect(s.path).toMatch(/^door\/\d{4}-\d{2}-\d{2}\/\d{8}T\d{6}Z(-\d+)?\.mp4$/);
      expect([s.codec, Number(s.k) >= 2, s.d >= 1.9]).toEqual(['h264', true, true]);
    }
    const { body } = await json<{ spans: Array<{ start: string; end: string }> }>('/api/recordings/door');
    expect(body.spans.length).toBeGreaterThanOrEqual(1);
  }, 90_000);

  test('a clip of a range: stream copy, Range requests, the asked length within a GOP', async () => {
    const { body } = await json<{ spans: Array<{ start: string; end: string }> }>('/api/recordings/door');
    const end = Date.parse(body.spans.at(-1)!.end);
    const start = end - 4000;
    const path = `/api/recordings/door/clip.mp4?start=${start}&end=${end}`;
    const whole = await app.api(path);
    expect([whole.status, whole.headers.get('content-type'), whole.headers.get('accept-ranges')]).toEqual([
      200,
      'video/mp4',
      'bytes',
    ]);
    const bytes = new Uint8Array(await whole.arrayBuffer());
    const clip = await probe(bytes);
    expect(clip?.codec).toBe('h264');
    // From the keyframe at or before start (this clip has one each second).
    expect(clip!.duration).toBeGreaterThanOrEqual(3.5);
    expect(clip!.duration).toBeLessThanOrEqual(5.2);
    const part = await app.api(path, { headers: { range: 'bytes=100-199' } });
    expect([part.status, part.headers.get('content-range')]).toEqual([206, `bytes 100-199/${bytes.length}`]);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.slice(100, 200));
    const tail = await app.api(path, { headers: { range: 'bytes=-10' } });
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(bytes.slice(-10));
    const beyond = await app.api(path, { headers: { range: `bytes=${bytes.length}-` } });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${bytes.length}`]);
    const dl = await app.api(`${path}&download=true`);
    expect(dl.headers.get('content-disposition')).toMatch(/^attachment; filename="door-\d{4}-.*\.mp4"$/);
  }, 60_000);

  test('play.mp4: fragmented MP4 from a moment on, its codec in X-Mime, where it starts in X-Play-Start', async () => {
    const { body } = await json<{ spans: Array<{ start: string; end: string }> }>('/api/recordings/door');
    const from = Date.parse(body.spans.at(-1)!.start) + 1500;
    const r = await app.api(`/api/recordings/door/play.mp4?start=${from}`);
    expect([r.status, r.headers.get('x-mime')]).toEqual([
      200,
      expect.stringMatching(/^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/),
    ]);
    // From the keyframe at or before the moment (one a second here).
    const starts = Date.parse(r.headers.get('x-play-start')!);
    expect(from - starts).toBeGreaterThanOrEqual(0);
    expect(from - starts).toBeLessThanOrEqual(1000);
    const bytes = new Uint8Array(await r.arrayBuffer());
    const types = new Set<string>();
    for (let at = 0; at + 8 <= bytes.length; ) {
      const size = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
      types.add(new TextDecoder().decode(bytes.subarray(at + 4, at + 8)));
      if (size < 8) break;
      at += size;
    }
    expect([...types].filter((t) => ['ftyp', 'moov', 'moof', 'mdat'].includes(t)).sort()).toEqual([
      'ftyp',
      'mdat',
      'moof',
      'moov',
    ]);
    const none = await json<{ error: { message: string } }>('/api/recordings/door/play.mp4?start=2020-01-01T00:00:00Z');
    expect(none.status).toBe(404);
  });

  test('a range with no recording is 404 with the reason; a bad range is 422', async () => {
    const r = await json<{ error: { code: string; message: string } }>(
      '/api/recordings/door/clip.mp4?start=2020-01-01T00:00:00Z&end=2020-01-01T00:01:00Z',
    );
    expect([r.status, r.body.error.message]).toEqual([
      404,
      'no recording of stream door between 2020-01-01T00:00:00.000Z and 2020-01-01T00:01:00.000Z',
    ]);
    expect((await app.api('/api/recordings/door/clip.mp4?start=soon&end=later')).status).toBe(422);
    expect((await app.api('/api/recordings/nope/clip.mp4?start=1&end=2')).status).toBe(404);
    const hour = await json<{ error: { message: string } }>('/api/recordings/door/clip.mp4?start=0&end=7200000');
    expect([hour.status, hour.body.error.message]).toEqual([400, 'a clip is at most 60 minutes']);
    const sev = await json<{ error: { message: string } }>('/api/review?severity=urgent');
    expect([sev.status, sev.body.error.message]).toEqual([422, "/severity: must be one of 'alert', 'detection'"]);
  });
});

describe('review items', () => {
  type Item = {
    id: string;
    severity: string;
    labels: string[];
    events: string[];
    end: string | null;
    reviewed: boolean;
    thumb_url: string | null;
  };

  test('people make alert items with their events and a thumbnail; reviewed is per user; counts stay out', async () => {
    const ended = await waitFor(
      async () =>
        (await json<{ items: Item[] }>('/api/review?severity=alert')).body.items.find((i) => i.end && i.events.length),
      90_000,
      'an ended alert item with events',
    );
    expect([ended.labels.includes('person'), ended.reviewed, !!ended.thumb_url]).toEqual([true, false, true]);
    const types = await app.rt.db.all<{ type: string }>(
      `SELECT DISTINCT type FROM events WHERE list_contains(?, id::VARCHAR) ORDER BY type`,
      [ended.events],
    );
    expect(types.map((t) => t.type).every((t) => t !== 'count')).toBe(true);
    // Its snapshot is the camera's picture (768x432), not the model's 416-wide input: clean as the
    // image, with the box drawn in its preview.
    const ev = (await json<{ image_id: string }>(`/api/events/${ended.events[0]}`)).body;
    const img = (await json<{ width: number; height: number }>(`/api/images/${ev.image_id}`)).body;
    expect([img.width, img.height]).toEqual([768, 432]);
    const [file, preview] = await Promise.all(
      ['file', 'preview'].map(
        async (k) => new Uint8Array(await (await app.api(`/api/images/${ev.image_id}/${k}`)).arrayBuffer()),
      ),
    );
    expect(Bun.hash(file!)).not.toBe(Bun.hash(preview!));
    const mark = await json<{ marked: number; reviewed: boolean }>('/api/review/reviewed', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [ended.id] }),
    });
    expect(mark).toEqual({ status: 200, body: { marked: 1, reviewed: true } });
    expect((await json<Item>(`/api/review/${ended.id}`)).body.reviewed).toBe(true);
    const other = await app.rt.keys.create('someone-else');
    const theirs = await fetch(`${app.url}/api/review/${ended.id}`, { headers: { 'x-api-key': other } });
    // Keys without a user share the box's marks; each signed-in user has their own (test/unit/review-store.test.ts).
    expect(theirs.status).toBe(200);
    const unreviewed = (await json<{ items: Item[] }>('/api/review?reviewed=false')).body.items;
    expect(unreviewed.some((i) => i.id === ended.id)).toBe(false);
  }, 120_000);

  test('MQTT <prefix>/<device>/reviews and the WebSocket tell new, update and end, as Frigate users know them', async () => {
    const item = (await json<{ items: Item[] }>('/api/review?severity=alert')).body.items.find((i) => i.end)!;
    const mine = reviews.filter((r) => r.after.id === item.id);
    expect(mine[0]).toMatchObject({
      type: 'new',
      before: null,
      after: { camera: 'door', severity: 'alert', end_time: null },
    });
    expect(mine.at(-1)).toMatchObject({ type: 'end', after: { camera: 'door', data: { objects: ['person'] } } });
    expect(mine.at(-1)!.after.end_time).toBe(Date.parse(item.end!) / 1000);
    const told = ws.messages.filter((m) => m.event === 'review' && (m.payload.after as { id: string }).id === item.id);
    expect(told.map((m) => m.payload.type)).toEqual(mine.map((r) => r.type));
  });

  test("an item's clip and its events' clips are the item with its pre- and post-roll", async () => {
    const it = (await json<{ items: Item[] }>('/api/review?severity=alert')).body.items.find(
      (i) => i.end && i.events.length,
    )!;
    // Its post-roll recorded and indexed first (an item that just ended has it still to come).
    await waitFor(
      async () =>
        ((await app.rt.recordings.status())[0]?.last ?? '') >= new Date(Date.parse(it.end!) + 2000).toISOString(),
      30_000,
      'the post-roll indexed',
    );
    const r = await app.api(`/api/review/${it.id}/clip.mp4`);
    expect(r.status).toBe(200);
    const clip = await probe(new Uint8Array(await r.arrayBuffer()));
    const span = (Date.parse(it.end!) - Date.parse((it as unknown as { start: string }).start)) / 1000 + 4;
    expect(clip!.duration).toBeGreaterThanOrEqual(span - 1.5);
    expect(clip!.duration).toBeLessThanOrEqual(span + 1.5);
    const ev = await app.api(`/api/events/${it.events[0]}/clip.mp4`);
    expect([ev.status, ev.headers.get('x-clip-start')]).toEqual([200, r.headers.get('x-clip-start')]);
  }, 60_000);
});

describe('events mode with a record input', () => {
  test('the record input is what is recorded; only segments around items are kept', async () => {
    // The record input (the car clip, a keyframe every 4.8 s) is recorded, not the analysed person
    // clip (one a second): its 2 s segments last a GOP, each with one keyframe.
    const seg = await waitFor(
      async () =>
        (
          await app.rt.db.all<{ keyframes: number[]; s: Date; e: Date }>(
            "SELECT keyframes, start_ts AS s, end_ts AS e FROM recording_segments WHERE stream = 'yard' LIMIT 1",
          )
        )[0],
      90_000,
      'a kept segment of yard',
    );
    expect([seg.keyframes.length, seg.e.getTime() - seg.s.getTime() >= 4500]).toEqual([1, true]);
    // The same input is what people watch live (the live role); the analysed stream stays the person clip.
    expect([app.rt.streams.get('yard')!.liveSource().source.display, app.rt.streams.view('yard')!.url]).toEqual([
      join(VIDEOS, 'car-detection.mp4'),
      join(VIDEOS, 'one-by-one-person-detection.mp4'),
    ]);
    // Each kept segment overlaps an item (with its pre- and post-roll); the rest were dropped.
    const items = (
      await json<{ items: Array<{ start: string; end: string | null }> }>('/api/review?stream=yard&limit=1000')
    ).body.items;
    const rows = await app.rt.db.all<{ s: Date; e: Date }>(
      "SELECT start_ts AS s, end_ts AS e FROM recording_segments WHERE stream = 'yard'",
    );
    for (const r of rows)
      expect(
        items.some(
          (it) =>
            r.e.getTime() > Date.parse(it.start) - 2000 &&
            r.s.getTime() < (it.end ? Date.parse(it.end) : Date.now()) + 2000,
        ),
      ).toBe(true);
  }, 120_000);
});

describe('a config applied live (as the fleet agent does)', () => {
  test("turning a stream's recording off and on again restarts only the recorders, without a restart of the box", async () => {
    const config = app.rt.config;
    const off = {
      ...config,
      streams: config.streams.map((s) => (s.id === 'yard' ? { ...s, record: { ...s.record, enabled: false } } : s)),
    };
    await app.box.apply(off, null);
    expect((await app.rt.recordings.status()).map((s) => s.stream)).toEqual(['door']);
    await app.box.apply(config, null);
    const again = await app.rt.recordings.status();
    expect(again.map((s) => [s.stream, s.state])).toEqual([
      ['door', 'recording'],
      ['yard', 'recording'],
    ]);
  }, 60_000);
});
