/**
 * Analytics end to end: the person, car and bottle videos analysed as recordings filmed on three
 * days (stream recorded_at; the bottles across a midnight) in Europe/Berlin. The daily counts per
 * class match the raw detections counted here by local day (the day worked out in JavaScript, not
 * DuckDB); a calendar value is the metric recomputed from that day's class totals; sessions scope the
 * views; bad input is refused; the views are open without a key while events are not; and the
 * tables survive a rebuild, a migration down and up again, and a restart, with the same numbers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readdirSync } from 'node:fs';
import {
  COCO,
  fileBlob,
  MODELS_DIR,
  startAppliance,
  stream,
  tempDir,
  VIDEOS,
  waitFor,
  type Appliance,
} from '../helpers/fixtures';
import { foveaCli } from '../helpers/process';
import { Db } from '../../appliance/store/duckdb';

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Json = Record<string, any>;

const TZ = 'Europe/Berlin';
const recordings = [
  { id: 'meadow', file: 'one-by-one-person-detection.mp4', at: '2026-05-04T10:00:00+02:00' },
  { id: 'road', file: 'car-detection.mp4', at: '2026-05-05T08:00:00+02:00' },
  // 40 s from 23:59:50: the first 10 s on the 6th, the rest on the 7th.
  { id: 'shelf', file: 'bottle-detection.mp4', at: '2026-05-06T23:59:50+02:00' },
];
const config = {
  analytics: { time_zone: TZ, independence_s: 10, public: true },
  streams: recordings.map((r) =>
    stream({ id: r.id, url: join(VIDEOS, r.file), pipeline: 'objects', fps: 2, recorded_at: r.at }),
  ),
};
const localDay = (d: Date) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

let app: Appliance;
/** Whether `app` is running (the last test stops it, then starts another). */
let running = false;
let dir: { path: string } & AsyncDisposable;
let state: string;
const get = async (path: string, init?: RequestInit) => {
  const r = await app.api(path, init);
  return {
    status: r.status,
    body: (r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text()) as Json,
  };
};

beforeAll(async () => {
  // The state outlives the appliance: the last test stops it, works on its files and starts it again.
  dir = await tempDir();
  state = dir.path;
  app = await startAppliance(config, state);
  running = true;
  await waitFor(
    () => recordings.every((r) => app.rt.streams.get(r.id)!.view().state === 'stopped'),
    240_000,
    'the three recordings analysed',
  );
  await app.rt.sink.flush();
}, 300_000);

afterAll(async () => {
  if (running) await app[Symbol.asyncDispose]();
  await dir?.[Symbol.asyncDispose]();
});

/** Per local day (worked out here) and class: detections and distinct tracks, from the raw rows. */
async function rawDaily(): Promise<Map<string, { detections: number; tracks: number }>> {
  const rows = await app.rt.db.all<{ ts: Date; label: string; session_id: string; track_id: bigint | null }>(
    'SELECT timestamp AS ts, label, session_id::VARCHAR AS session_id, track_id FROM detections',
  );
  const out = new Map<string, { detections: number; tracks: Set<string> }>();
  for (const r of rows) {
    const k = `${localDay(r.ts)} ${r.label}`;
    const e = out.get(k) ?? { detections: 0, tracks: new Set<string>() };
    e.detections++;
    e.tracks.add(`${r.session_id}/${r.track_id ?? `m${Math.floor(r.ts.getTime() / 60000)}`}`);
    out.set(k, e);
  }
  return new Map([...out].map(([k, v]) => [k, { detections: v.detections, tracks: v.tracks.size }]));
}

/** The metrics from class totals, worked out here. */
function metricsOf(totals: number[]) {
  const n = totals.filter((x) => x > 0);
  const sum = n.reduce((a, b) => a + b, 0);
  const p = n.map((x) => x / sum);
  const h = -p.reduce((a, x) => a + x * Math.log(x), 0);
  return {
    richness: n.length,
    shannon: h,
    simpson: 1 - p.reduce((a, x) => a + x * x, 0),
    evenness: n.length > 1 ? h / Math.log(n.length) : null,
    hill1: Math.exp(h),
  };
}

describe('analytics over recordings of three days', () => {
  test('daily counts per class match the raw detections by local day; each recording on its own days', async () => {
    const raw = await rawDaily();
    const series = await get(
      '/api/analytics/time-series?metric=richness&interval=day&abundance=detections&from=2026-05-01&to=2026-05-10',
    );
    const tracks = await get(
      '/api/analytics/time-series?metric=richness&interval=day&abundance=tracks&from=2026-05-01&to=2026-05-10',
    );
    expect(series.status).toBe(200);
    const fromApi = new Map<string, { detections: number; tracks: number }>();
    for (const p of series.body.points as Json[])
      for (const [label, n] of Object.entries(p.classes as Record<string, number>))
        fromApi.set(`${p.t} ${label}`, { detections: n, tracks: 0 });
    for (const p of tracks.body.points as Json[])
      for (const [label, n] of Object.entries(p.classes as Record<string, number>))
        fromApi.get(`${p.t} ${label}`)!.tracks = n;
    expect(Object.fromEntries(fromApi)).toEqual(Object.fromEntries(raw));
    // Each recording counts on the days it was filmed, the bottles on both sides of midnight.
    const daysOf = async (s: string) =>
      ((await get(`/api/analytics/time-series?stream=${s}&from=2026-05-01&to=2026-05-10`)).body.points as Json[]).map(
        (p) => p.t,
      );
    expect([await daysOf('meadow'), await daysOf('road'), await daysOf('shelf')]).toEqual([
      ['2026-05-04'],
      ['2026-05-05'],
      ['2026-05-06', '2026-05-07'],
    ]);
    const top = (day: string) =>
      [...raw].filter(([k]) => k.startsWith(day)).sort((a, b) => b[1].detections - a[1].detections)[0]?.[0];
    expect([top('2026-05-04'), top('2026-05-06'), top('2026-05-07')]).toEqual([
      '2026-05-04 person',
      '2026-05-06 bottle',
      '2026-05-07 bottle',
    ]);
    expect((series.body.points as Json[]).map((p) => p.t)).toEqual([
      '2026-05-04',
      '2026-05-05',
      '2026-05-06',
      '2026-05-07',
    ]);
  });

  test('a calendar value is the metric recomputed from that day’s class totals; events are at most tracks', async () => {
    for (const metric of ['richness', 'shannon', 'simpson', 'evenness', 'hill1'] as const) {
      const cal = await get(`/api/analytics/calendar/${metric}?from=2026-05-01&to=2026-05-31`);
      expect(cal.status).toBe(200);
      for (const d of cal.body.days as Json[]) {
        const classes = await get(`/api/analytics/classes?from=${d.day}&to=${d.day}`);
        const want = metricsOf((classes.body.classes as Json[]).map((c) => c.total))[metric];
        if (want === null) expect([d.day, d.value]).toEqual([d.day, null]);
        else expect([d.day, d.value]).toEqual([d.day, expect.closeTo(want, 9)]);
      }
    }
    const ev = await get('/api/analytics/classes?abundance=events&from=2026-05-01&to=2026-05-31');
    const tr = await get('/api/analytics/classes?abundance=tracks&from=2026-05-01&to=2026-05-31');
    const tracksOf = new Map((tr.body.classes as Json[]).map((c) => [c.label, c.total]));
    expect((ev.body.classes as Json[]).every((c) => c.total >= 1 && c.total <= tracksOf.get(c.label)!)).toBe(true);
    const person = (tr.body.classes as Json[]).find((c) => c.label === 'person')!;
    const personDays = [...(await rawDaily()).keys()].filter((k) => k.endsWith(' person')).map((k) => k.slice(0, 10));
    expect([person.days, localDay(new Date(person.first_seen)), localDay(new Date(person.last_seen))]).toEqual([
      personDays.length,
      personDays.sort()[0],
      personDays.sort().at(-1),
    ]);
    expect(person.share).toBeCloseTo(person.total / [...tracksOf.values()].reduce((a, b) => a + b), 12);
  });

  test('sessions scope the views to their streams and window; bad sessions are refused, naming the problem', async () => {
    const bad = await get('/api/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Pond', starts_at: '2026-05-01', streams: ['pond'] }),
    });
    expect([bad.status, bad.body.error.message]).toEqual([422, "streams: no stream 'pond' on this box"]);
    const made = await get('/api/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Road survey',
        starts_at: '2026-05-05T00:00:00+02:00',
        ends_at: '2026-05-06T00:00:00+02:00',
        streams: ['road', 'shelf'],
      }),
    });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    const cal = await get(`/api/analytics/calendar/richness?session=${id}&from=2026-01-01&to=2026-12-31`);
    // Only the session's window (the 5th) and streams: the cars, never the meadow's people.
    expect([cal.body.from, cal.body.to, (cal.body.days as Json[]).map((d) => d.day)]).toEqual([
      '2026-05-05',
      '2026-05-05',
      ['2026-05-05'],
    ]);
    const classes = await get(`/api/analytics/classes?session=${id}`);
    const roadClasses = [...(await rawDaily()).keys()]
      .filter((k) => k.startsWith('2026-05-05'))
      .map((k) => k.slice(11));
    expect((classes.body.classes as Json[]).map((c) => c.label).sort()).toEqual(roadClasses.sort());
    const changed = await get(`/api/sessions/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ends_at: null, description: 'all of it' }),
    });
    expect([changed.status, changed.body.ends_at, changed.body.name]).toEqual([200, null, 'Road survey']);
    const wider = await get(`/api/analytics/calendar/richness?session=${id}&from=2026-01-01&to=2026-12-31`);
    expect((wider.body.days as Json[]).map((d) => d.day)).toEqual(['2026-05-05', '2026-05-06', '2026-05-07']);
    expect((await get(`/api/analytics/calendar/richness?session=${id}&stream=meadow`)).status).toBe(422);
    expect((await get('/api/sessions')).body.items.map((s: Json) => s.name)).toEqual(['Road survey']);
  });

  test('a run over photos counts each photo once per class it shows, in a session over the run', async () => {
    const f = new FormData();
    const photos = readdirSync(COCO)
      .filter((n) => n.endsWith('.jpg'))
      .sort()
      .slice(0, 6);
    for (const n of photos) f.append('files', await fileBlob(join(COCO, n), 'image/jpeg'), n);
    f.append('spec', JSON.stringify({ pipeline: 'objects', label: 'shelf photos' }));
    const { run_id } = (await (await app.api('/api/runs', { method: 'POST', body: f })).json()) as Json;
    const run = await waitFor(
      async () => {
        const r = (await get(`/api/runs/${run_id}`)).body;
        return r.status === 'succeeded' && r;
      },
      60_000,
      'the run',
    );
    // Per class: how many photos show it, and how many detections, from the run's own outputs.
    const photosWith = new Map<string, number>();
    const detectionsOf = new Map<string, number>();
    for (const it of run.items as Json[])
      for (const [label, n] of Object.entries(it.output.labels as Record<string, number>)) {
        photosWith.set(label, (photosWith.get(label) ?? 0) + 1);
        detectionsOf.set(label, (detectionsOf.get(label) ?? 0) + n);
      }
    const made = await get('/api/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Shelf',
        starts_at: new Date(Date.now() - 86_400_000).toISOString(),
        runs: [run_id],
      }),
    });
    expect(made.status).toBe(201);
    const tracks = await get(`/api/analytics/classes?session=${made.body.id}`);
    const dets = await get(`/api/analytics/classes?session=${made.body.id}&abundance=detections`);
    expect(Object.fromEntries((tracks.body.classes as Json[]).map((c) => [c.label, c.total]))).toEqual(
      Object.fromEntries(photosWith),
    );
    expect(Object.fromEntries((dets.body.classes as Json[]).map((c) => [c.label, c.total]))).toEqual(
      Object.fromEntries(detectionsOf),
    );
    expect(photosWith.size).toBeGreaterThan(1);
    await get(`/api/sessions/${made.body.id}`, { method: 'DELETE' });
  }, 90_000);

  test('bad input: unknown metric or interval lists the valid ones; from after to, over five years: 422; no data: empty', async () => {
    const metric = await get('/api/analytics/calendar/diversity');
    expect([metric.status, metric.body.error.message]).toEqual([
      422,
      "unknown metric 'diversity': valid are richness, shannon, simpson, evenness, hill1",
    ]);
    const interval = await get('/api/analytics/time-series?interval=month');
    expect([interval.status, interval.body.error.message]).toEqual([
      422,
      "unknown interval 'month': valid are hour, day, week",
    ]);
    expect((await get('/api/analytics/classes?from=2026-05-09&to=2026-05-01')).status).toBe(422);
    expect((await get('/api/analytics/calendar/shannon?from=2019-01-01&to=2026-05-01')).status).toBe(422);
    expect((await get('/api/analytics/time-series?interval=hour&from=2026-01-01&to=2026-05-01')).status).toBe(422);
    expect((await get('/api/analytics/calendar/shannon?stream=nowhere')).status).toBe(422);
    expect((await get('/api/analytics/calendar/shannon?session=00000000-0000-0000-0000-000000000000')).status).toBe(
      404,
    );
    const empty = await get('/api/analytics/time-series?from=2025-01-01&to=2025-01-31');
    expect([empty.status, empty.body.points]).toEqual([200, []]);
    const hours = await get(
      '/api/analytics/time-series?interval=hour&metric=richness&from=2026-05-06&to=2026-05-07&stream=shelf',
    );
    expect((hours.body.points as Json[]).map((p) => p.t)).toEqual(['2026-05-06T23:00', '2026-05-07T00:00']);
  });

  test('CSV of each view; the views open without a key while events, images and snapshots are not', async () => {
    const csv = await fetch(`${app.url}/api/analytics/classes?from=2026-05-01&to=2026-05-31&format=csv`);
    const text = await csv.text();
    expect([csv.status, csv.headers.get('content-type'), text.split('\r\n')[0]]).toEqual([
      200,
      'text/csv; charset=utf-8',
      'class,total,share,first_seen,last_seen,days',
    ]);
    const series = await (
      await fetch(`${app.url}/api/analytics/time-series?from=2026-05-01&to=2026-05-31&format=csv&classes=car,person`)
    ).text();
    expect(series.split('\r\n')[0]).toBe('t,shannon,total,car,person');
    const cal = await (
      await fetch(`${app.url}/api/analytics/calendar/richness?from=2026-05-01&to=2026-05-31&format=csv`)
    ).text();
    expect(cal.split('\r\n').slice(0, 2)).toEqual(['day,richness', expect.stringMatching(/^2026-05-04,\d+$/)]);
    const anonymous = await Promise.all(
      ['/api/events', '/api/images', '/api/streams/meadow/frame'].map(async (p) => (await fetch(app.url + p)).status),
    );
    expect(anonymous).toEqual([401, 401, 401]);
    const sessions = (await (await fetch(`${app.url}/api/sessions`)).json()) as Json;
    expect(sessions.items.every((s: Json) => s.owner === null)).toBe(true);
    expect((await fetch(`${app.url}/api/sessions`, { method: 'POST', body: '{}' })).status).toBe(401);
  });

  test('a rebuild reproduces the tables exactly; down to 8 needs --yes; up again and a restart give the same numbers', async () => {
    const snapshot = async (db: Db) =>
      JSON.stringify(
        await db.all(
          `SELECT strftime(day, '%Y-%m-%d') AS d, stream, zone, label, detections::INT AS n, tracks::INT AS t, events::INT AS e,
             first_seen::VARCHAR AS f, last_seen::VARCHAR AS l FROM analytics_daily ORDER BY ALL`,
        ),
      );
    const records = (db: Db) =>
      db.all(
        'SELECT hour::VARCHAR AS h, stream, zone, label, session_id::VARCHAR AS s, track::VARCHAR AS track, detections::INT AS n FROM analytics_records ORDER BY ALL',
      );
    const before = await snapshot(app.rt.db);
    const recordsBefore = JSON.stringify(await records(app.rt.db));
    const viewBefore = await get('/api/analytics/calendar/shannon?from=2026-05-01&to=2026-05-31');
    running = false;
    await app[Symbol.asyncDispose]();
    const file = join(state, 'fovea.yaml');
    await Bun.write(file, stringify({ state_dir: state, models: { dir: MODELS_DIR }, analytics: config.analytics }));
    const rebuilt = await foveaCli(['analytics', 'rebuild', '--config', file]);
    expect([rebuilt.code, rebuilt.out]).toEqual([
      0,
      expect.stringMatching(/^rebuilt in \d+ ms: \d+ records, \d+ days \(Europe\/Berlin/),
    ]);
    let db = await Db.open(join(state, 'fovea.duckdb'));
    expect([await snapshot(db), JSON.stringify(await records(db))]).toEqual([before, recordsBefore]);
    db.close();

    const refused = await foveaCli(['db', 'migrate', '--to', '8', '--config', file]);
    expect([refused.code, refused.err]).toEqual([
      1,
      expect.stringContaining('analysis_sessions (1 rows, migration 9)'),
    ]);
    const down = await foveaCli(['db', 'migrate', '--to', '8', '--yes', '--config', file]);
    expect([down.code, down.out]).toEqual([
      0,
      expect.stringContaining('reverted: 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9'),
    ]);
    db = await Db.open(join(state, 'fovea.duckdb'));
    const tables = await db.all<{ t: string }>(
      "SELECT table_name AS t FROM duckdb_tables() WHERE table_name LIKE 'analytics_%' OR table_name = 'analysis_sessions'",
    );
    const kept = await db.all<{ n: bigint }>('SELECT count(*) AS n FROM detections');
    db.close();
    expect([tables, Number(kept[0]!.n) > 0]).toEqual([[], true]);
    const up = await foveaCli(['db', 'migrate', '--config', file]);
    expect([up.code, up.out]).toEqual([0, expect.stringContaining('applied: 9, 10')]);
    // The next start finds the tables empty (no basis) and rebuilds them: the same numbers.
    app = await startAppliance({ ...config, streams: [] }, state);
    running = true;
    expect(await snapshot(app.rt.db)).toBe(before);
    // The same values (to the last few bits: DuckDB sums in parallel, in no fixed order).
    const viewAfter = await get('/api/analytics/calendar/shannon?from=2026-05-01&to=2026-05-31');
    expect(viewAfter.body.days).toEqual(
      (viewBefore.body.days as Json[]).map((d) => ({ day: d.day, value: expect.closeTo(d.value, 12) })),
    );
  }, 120_000);
});
