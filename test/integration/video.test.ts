/**
 * Real ffmpeg on the real sample videos through the built-in pipelines, into DuckDB and the API.
 * Files run with realtime: false, so every sampled frame is analysed (the result is deterministic).
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { stageRefs } from '../../appliance/pipeline/registry';
import {
  VIDEOS,
  ensureModel,
  form,
  startAppliance,
  stream,
  tempDir,
  waitFor,
  type Appliance,
} from '../helpers/fixtures';

/**
 * A pipeline file `name.yaml` (in a temp pipelines dir) run once over a video to its end, results
 * flushed. Disposing it stops the appliance and removes the dir.
 */
async function runPipeline(name: string, yaml: string, video: string): Promise<Appliance> {
  const dir = await tempDir();
  await Bun.write(join(dir.path, `${name}.yaml`), yaml);
  const app = await startAppliance({
    pipelines: { dir: dir.path },
    streams: [stream({ id: name, url: join(VIDEOS, video), pipeline: name })],
  });
  await finished(app, name);
  await app.rt.sink.flush();
  const dispose = app[Symbol.asyncDispose];
  return Object.assign(app, {
    [Symbol.asyncDispose]: async () => {
      await dispose();
      await dir[Symbol.asyncDispose]();
    },
  });
}

const finished = (app: Appliance, id: string) =>
  waitFor(
    () => app.rt.streams.get(id)?.view().state === 'stopped' && app.rt.streams.get(id)!.view(),
    120_000,
    `stream ${id} to finish`,
  );

type EventItem = {
  type: string;
  label: string;
  track_id: number | null;
  snapshot_url: string | null;
  image_id: string | null;
  zone: string | null;
};

describe('video pipelines', () => {
  test('the person video yields tracked persons, enter/leave events with snapshots, searchable by photo', async () => {
    await using app = await startAppliance({
      streams: [
        stream({ id: 'table', url: join(VIDEOS, 'one-by-one-person-detection.mp4'), pipeline: 'people', fps: 2 }),
      ],
    });
    const view = await finished(app, 'table');
    await app.rt.sink.flush();
    const dets = await app.rt.db.all<{ label: string; n: bigint; tracks: bigint }>(
      `SELECT label, count(*) AS n, count(DISTINCT track_id) AS tracks FROM detections GROUP BY label`,
    );
    const events = ((await (await app.api('/api/events?limit=500&stream=table')).json()) as { items: EventItem[] })
      .items;
    const enters = events.filter((e) => e.type === 'enter');
    const leaves = events.filter((e) => e.type === 'leave');
    const person = dets.find((d) => d.label === 'person')!;
    expect([view.frames_analysed, view.dropped, dets.map((d) => d.label), Number(person.n)]).toEqual([
      expect.above(200),
      0,
      ['person'],
      expect.above(5 * Number(person.tracks)),
    ]);
    expect([enters.length, leaves.length, new Set(enters.map((e) => e.track_id)).size === enters.length]).toEqual([
      expect.atLeast(1),
      expect.atLeast(1),
      true,
    ]);
    expect(enters.filter((e) => !(e.snapshot_url && e.image_id))).toEqual([]);
    // The snapshot is an indexed image: uploading it finds the event's snapshot first.
    const snap = await app.api(new URL(enters[0]!.snapshot_url!).pathname);
    const res = await app.api('/api/search', {
      method: 'POST',
      body: form({ file: new Blob([await snap.arrayBuffer()]), limit: '1', tags: 'snapshot' }),
    });
    expect(((await res.json()) as { results: Array<{ image_id: string }> }).results[0]!.image_id).toBe(
      enters[0]!.image_id!,
    );
  }, 180_000);

  test('the bottle video yields bottles through the objects pipeline', async () => {
    await using app = await startAppliance({
      streams: [stream({ id: 'bottles', url: join(VIDEOS, 'bottle-detection.mp4'), pipeline: 'objects', fps: 2 })],
    });
    await finished(app, 'bottles');
    await app.rt.sink.flush();
    const labels = (
      await app.rt.db.all<{ label: string }>(`SELECT label FROM detections GROUP BY label ORDER BY count(*) DESC`)
    ).map((r) => r.label);
    expect(labels[0]).toBe('bottle');
    const res = (await (await app.api('/api/streams/bottles')).json()) as {
      state: string;
      url: string;
      frames_decoded: number;
    };
    expect([res.state, res.url, res.frames_decoded]).toEqual([
      'stopped',
      join(VIDEOS, 'bottle-detection.mp4'),
      expect.above(50),
    ]);
  }, 180_000);
});

describe('zones, lines and pipeline changes', () => {
  const custom = `input:
  fps: 2
stages:
  detect:
    type: detect@1
    options: { classes: [person] }
  track:
    type: track@1
    needs: [detect]
    options: { min_hits: 3 }
  events:
    type: event@1
    needs: [track]
    options:
      count: false
      snapshots: false
      zones:
        - name: table
          polygon: [[0.5, 0.8], [0.75, 0.8], [0.75, 1], [0.5, 1]]
      lines:
        - name: right
          a: [0.7, 0.5]
          b: [0.7, 1]
  store:
    type: store@1
    needs: [events]
`;

  test('a zone and a line from a pipeline file produce the events the tracks imply', async () => {
    await using app = await runPipeline('table', custom, 'one-by-one-person-detection.mp4');
    const events = await app.rt.db.all<{
      type: string;
      zone: string | null;
      line: string | null;
      direction: string | null;
      track_id: bigint;
    }>('SELECT type, zone, line, direction, track_id FROM events ORDER BY timestamp');
    const enters = events.filter((e) => e.type === 'enter');
    const leaves = events.filter((e) => e.type === 'leave');
    const crosses = events.filter((e) => e.type === 'cross');
    // Every crossing track has boxes on both sides of x = 0.7 in the stored detections.
    const sides = await app.rt.db.all<{ track_id: bigint; lo: number; hi: number }>(
      `SELECT track_id, min((x1 + x2) / 2 / 768) AS lo, max((x1 + x2) / 2 / 768) AS hi FROM detections WHERE track_id IS NOT NULL GROUP BY track_id`,
    );
    const spans = new Map(sides.map((s) => [s.track_id, s.lo < 0.7 && s.hi > 0.7]));
    expect([
      enters.length,
      enters.every((e) => e.zone === 'table'),
      new Set(enters.map((e) => e.track_id)).size,
      leaves.length,
    ]).toEqual([expect.atLeast(3), true, enters.length, enters.length]);
    expect(crosses.length).toBeGreaterThanOrEqual(1);
    expect(
      crosses.every((c) => c.line === 'right' && spans.get(c.track_id) === true && c.direction === 'right_to_left'),
    ).toBe(true);
  }, 180_000);

  test('an invalid change is refused with its exact error; a valid one swaps one stream and leaves the other running', async () => {
    await using dir = await tempDir();
    await Bun.write(join(dir.path, 'table.yaml'), custom);
    await Bun.write(join(dir.path, 'broken.yaml'), custom.replace('type: track@1', 'type: track@7'));
    const loop = (id: string) =>
      stream({
        id,
        url: join(VIDEOS, 'people-detection_from-gif.mp4'),
        pipeline: 'people',
        fps: 4,
        loop: true,
        realtime: true,
      });
    await using app = await startAppliance({ pipelines: { dir: dir.path }, streams: [loop('a'), loop('b')] });
    const view = (id: string) => app.rt.streams.get(id)!.view();
    await waitFor(() => view('a').frames_analysed > 3 && view('b').frames_analysed > 3, 30_000, 'both running');
    const patch = (body: object) =>
      app.api('/api/streams/a', {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const badOverride = await patch({ overrides: { 'detect.score': 7 } });
    const badFile = await patch({ pipeline: 'broken' });
    const badBody = (await badFile.json()) as { error: { code: string; message: string } };
    expect([badOverride.status, badFile.status, badBody.error.code, badBody.error.message]).toEqual([
      422,
      422,
      'validation_failed',
      `${join(dir.path, 'broken.yaml')}:8: /stages/track/type: unknown stage type 'track@7' (known: ${stageRefs().join(', ')})`,
    ]);
    expect([view('a').pipeline, app.rt.streams.get('a')!.config.overrides]).toEqual(['people', {}]);
    const bBefore = view('b').frames_analysed;
    const ok = await patch({ pipeline: 'table', overrides: { 'detect.score': 0.5 } });
    const after = (await ok.json()) as { pipeline: string; restarts: number; state: string };
    await waitFor(
      () => view('a').frames_analysed > 3 && view('b').frames_analysed > bBefore + 3,
      30_000,
      'both still analysing',
    );
    expect([
      ok.status,
      after.pipeline,
      after.restarts,
      view('a').state,
      view('b').restarts,
      view('b').pipeline,
    ]).toEqual([200, 'table', 0, 'running', 0, 'people']);
  }, 120_000);
});

test('events can be filtered by date and fetched one by one', async () => {
  await using app = await startAppliance({
    streams: [stream({ id: 'bottles', url: join(VIDEOS, 'bottle-detection.mp4'), pipeline: 'objects', fps: 1 })],
  });
  await finished(app, 'bottles');
  await app.rt.sink.flush();
  const all = (await (await app.api('/api/events?stream=bottles&limit=500')).json()) as {
    total: number;
    items: Array<{ id: string; timestamp: string }>;
  };
  const future = (await (await app.api('/api/events?from=2999-01-01T00:00:00Z')).json()) as { total: number };
  const past = (await (await app.api(`/api/events?to=${encodeURIComponent(all.items.at(-1)!.timestamp)}`)).json()) as {
    total: number;
  };
  const one = (await (await app.api(`/api/events/${all.items[0]!.id}`)).json()) as { id: string };
  expect([all.total, future.total, past.total, past.total, one.id, (await app.api('/api/events/nope')).status]).toEqual(
    [expect.above(0), 0, expect.atLeast(1), expect.atMost(all.total), all.items[0]!.id, 404],
  );
}, 120_000);

test('embed@1 stores one embedding per track every few seconds; a track resembles itself more than others', async () => {
  await using app = await runPipeline(
    'reid',
    `input:
  fps: 2
stages:
  detect: { type: detect@1, options: { classes: [person] } }
  track: { type: track@1, needs: [detect], options: { min_hits: 3 } }
  embed: { type: embed@1, needs: [track], options: { target: tracks, every_s: 2 } }
`,
    'one-by-one-person-detection.mp4',
  );
  const rows = await app.rt.db.all<{ track_id: bigint; embedding: number[]; model_id: string; label: string }>(
    'SELECT track_id, embedding, model_id, label FROM embeddings ORDER BY timestamp',
  );
  const norm = Math.hypot(...rows[0]!.embedding);
  const cos = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  let within = 0,
    nw = 0,
    across = 0,
    na = 0;
  for (let i = 0; i < rows.length; i++)
    for (let j = i + 1; j < rows.length; j++) {
      const c = cos(rows[i]!.embedding, rows[j]!.embedding);
      if (rows[i]!.track_id === rows[j]!.track_id) {
        within += c;
        nw++;
      } else {
        across += c;
        na++;
      }
    }
  expect([
    rows.length,
    rows[0]!.embedding.length,
    Math.abs(norm - 1),
    rows[0]!.model_id,
    rows.every((r) => r.label === 'person'),
    nw > 0 && na > 0,
  ]).toEqual([expect.above(10), 1280, expect.below(1e-3), 'mobilenetv2-embed@1', true, true]);
  expect(within / nw).toBeGreaterThan(across / na);
}, 180_000);

test('preprocess@1 with stretch: ffmpeg stretches, detect uses its tensor, boxes land in source pixels', async () => {
  await using app = await runPipeline(
    'stretch',
    `input:
  fps: 2
stages:
  pre: { type: preprocess@1, options: { fit: stretch } }
  detect: { type: detect@1, needs: [pre], options: { classes: [bottle] } }
  store: { type: store@1, needs: [detect] }
`,
    'bottle-detection.mp4',
  );
  const view = app.rt.streams.get('stretch')!.view();
  const d = await app.rt.db.all<{ n: bigint; maxx: number; maxy: number }>(
    'SELECT count(*) AS n, max(x2) AS maxx, max(y2) AS maxy FROM detections',
  );
  // bottle-detection.mp4 is 640x360: stretched boxes mapped back must fit it, and use its height.
  expect([Object.keys(view.stage_ms), Number(d[0]!.n), d[0]!.maxx, d[0]!.maxy, d[0]!.maxy]).toEqual([
    ['pre', 'detect', 'store'],
    expect.above(20),
    expect.atMost(640),
    expect.atMost(360),
    expect.above(200),
  ]);
}, 120_000);

test('NanoDet-m, the second detector, finds the bottles too', async () => {
  await ensureModel('nanodet-m@1');
  await using app = await runPipeline(
    'nano',
    `input:
  fps: 2
stages:
  detect: { type: detect@1, options: { model: nanodet-m@1, score: 0.35 } }
  store: { type: store@1, needs: [detect] }
`,
    'bottle-detection.mp4',
  );
  const top = await app.rt.db.all<{ label: string; n: bigint; maxx: number; maxy: number }>(
    'SELECT label, count(*) AS n, max(x2) AS maxx, max(y2) AS maxy FROM detections GROUP BY label ORDER BY n DESC LIMIT 1',
  );
  expect([top[0]!.label, Number(top[0]!.n), top[0]!.maxx, top[0]!.maxy]).toEqual([
    'bottle',
    expect.above(20),
    expect.atMost(640),
    expect.atMost(360),
  ]);
}, 120_000);

test('hwaccel: cuda on a box whose GPU cannot decode (here: none) goes on with the CPU and says why', async () => {
  await using app = await startAppliance({
    streams: [
      stream({ id: 'gpu', url: join(VIDEOS, 'car-detection.mp4'), pipeline: 'objects', fps: 2, hwaccel: 'cuda' }),
    ],
  });
  await finished(app, 'gpu');
  const res = (await (await app.api('/api/streams/gpu')).json()) as {
    decoder: string;
    decoder_note: string;
    frames_analysed: number;
    latency_ms: { p50: number; p99: number };
  };
  expect([
    res.decoder,
    res.decoder_note,
    res.frames_analysed,
    res.latency_ms.p50 > 0 && res.latency_ms.p50 <= res.latency_ms.p99,
  ]).toEqual([
    'cpu',
    'NVDEC could not be used (Cannot load libcuda.so.1): decoding on the CPU',
    expect.above(50),
    true,
  ]);
}, 120_000);
