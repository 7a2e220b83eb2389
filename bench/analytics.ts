/**
 * @module bench analytics: (1) a synthetic year, 10 streams × 20 classes, about 10 million detections
 * generated inside DuckDB (tracks of 10 detections, classes skewed as in a real survey), rebuilt into
 * the analytics tables; then the calendar, time-series and class views through the appliance's own
 * service, p50/p95 over 30 calls each, against a plain GROUP BY over the raw detections computing the
 * same calendar in the same run; and what a refresh costs after one more day arrives. (2) A file
 * analysed as fast as inference allows, with the analytics refreshed every second against never
 * refreshed: the cost of keeping the tables current, as the pipeline's frames per second.
 */
import { join } from 'node:path';
import { Db } from '../appliance/store/duckdb';
import { migrate } from '../appliance/store/migrate';
import { rebuild } from '../appliance/store/analytics';
import { Analytics } from '../appliance/analytics/service';
import { createLogger } from '../appliance/shared/log';
import { startAppliance, stream, tempDir, VIDEOS, waitFor } from '../test/helpers/fixtures';
import { median, ms, percentile, row, timeEach } from './lib/stats';

const STREAMS = 10;
const CLASSES = 20;
const DAYS = 365;
const TRACKS_PER_DAY = Number(process.env.FOVEA_BENCH_TRACKS ?? 274);
const RUNS = 30;
const basis = { timeZone: 'Europe/Berlin', independenceS: 1800 };

/** One synthetic day per stream: TRACKS_PER_DAY tracks of 10 detections, result ids in insert order. */
const dayRows = (first: number, days: number, offset: number) => `
  INSERT INTO detections
  SELECT printf('01900000-0000-7000-8000-%012x', ${offset} + row_number() OVER ())::UUID,
    printf('01900000-0000-7000-9000-%012x', s)::UUID, 'cam' || s,
    TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_days(CAST(d AS INTEGER)) + to_seconds(CAST(t * 300 + k * 2 AS BIGINT)),
    -- a skewed survey: class c is seen about 1/(c+1) as often as class 0
    'class' || CAST(floor(${CLASSES} * pow(((hash(s, d, t) % 1000) / 1000.0), 2)) AS INTEGER),
    0.8, 0, 0, 1, 1, d * 10000 + t, NULL
  FROM range(${STREAMS}) a(s), range(${first}, ${first + days}) b(d), range(${TRACKS_PER_DAY}) c(t), range(10) e(k)`;

/** RUNS timings of fn, one after another. */
const timed = (fn: () => Promise<unknown>) => timeEach(Array.from({ length: RUNS }), fn);

async function syntheticYear(): Promise<string[]> {
  await using dir = await tempDir('fovea-bench-');
  const db = await Db.open(join(dir.path, 'a.duckdb'));
  const out: string[] = [];
  try {
    await migrate(db);
    let t = performance.now();
    await db.run(dayRows(0, DAYS, 0));
    const n = Number((await db.all<{ n: bigint }>('SELECT count(*) AS n FROM detections'))[0]!.n);
    const genS = (performance.now() - t) / 1000;
    t = performance.now();
    const built = await rebuild(db, basis);
    const rebuildS = (performance.now() - t) / 1000;
    out.push(
      row([
        `${(n / 1e6).toFixed(1)} M detections`,
        'rebuild: records and daily rows from nothing',
        (rebuildS * 1000).toFixed(0),
        '',
        '',
        `${built.records} records, ${built.days} stream-days; generated in ${genS.toFixed(1)} s`,
      ]),
    );
    const analytics = new Analytics({
      db,
      basis,
      refreshS: 0,
      log: createLogger({ test: true }),
      streams: () => [],
      runsExisting: async () => new Set(),
    });
    const year = { from: '2025-01-01', to: '2025-12-31' };
    // The same calendar (Shannon over distinct tracks per day, every stream) straight from the raw rows.
    const bare = await timed(() =>
      db.all(
        `WITH c AS (SELECT CAST(timezone('${basis.timeZone}', timestamp) AS DATE) AS day, label,
                      count(DISTINCT (stream, session_id, track_id)) AS n FROM detections GROUP BY ALL),
              p AS (SELECT day, n / sum(n) OVER (PARTITION BY day) AS p FROM c)
         SELECT day, -sum(p * ln(p)) AS h FROM p GROUP BY day ORDER BY day`,
      ),
    );
    out.push(
      row([
        '1 year',
        'bare GROUP BY over the raw detections: Shannon per day',
        ms(median(bare)),
        ms(percentile(bare, 95)),
        '',
        'baseline',
      ]),
    );
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['calendar, Shannon, every stream', () => analytics.calendar('shannon', year)],
      ['calendar, richness, one stream', () => analytics.calendar('richness', { ...year, stream: 'cam3' })],
      [
        'time series per week, 3 classes',
        () => analytics.series({ ...year, interval: 'week', classes: 'class0,class1,class2' }),
      ],
      ['time series per day, Simpson', () => analytics.series({ ...year, interval: 'day', metric: 'simpson' })],
      [
        'time series per hour, one day',
        () => analytics.series({ from: '2025-06-01', to: '2025-06-01', interval: 'hour' }),
      ],
      ['class table, a year', () => analytics.classes(year)],
    ];
    for (const [what, fn] of cases) {
      const times = await timed(fn);
      out.push(
        row([
          '1 year',
          what,
          ms(median(times)),
          ms(percentile(times, 95)),
          '',
          `${(median(bare) / median(times)).toFixed(0)}× faster than bare`,
        ]),
      );
    }
    // One more day for every stream, then the refresh that folds it in.
    await db.run(dayRows(DAYS, 1, n));
    t = performance.now();
    const days = await analytics.refresh();
    out.push(
      row([
        '+1 day',
        `refresh: ${STREAMS * TRACKS_PER_DAY * 10} new detections folded in`,
        ms(performance.now() - t),
        '',
        '',
        `${days} stream-days recomputed`,
      ]),
    );
  } finally {
    db.close();
  }
  return out;
}

/** Frames per second of the person video read as fast as inference allows, with a refresh every refreshS. */
async function fpsWith(refreshS: number): Promise<number> {
  await using app = await startAppliance({
    analytics: { refresh_s: refreshS },
    streams: [stream({ id: 'f', url: join(VIDEOS, 'one-by-one-person-detection.mp4'), pipeline: 'objects', fps: 5 })],
  });
  const t = performance.now();
  await waitFor(() => app.rt.streams.get('f')!.view().state === 'stopped', 600_000, 'the file analysed');
  const frames = app.rt.streams.get('f')!.view().frames_analysed;
  return frames / ((performance.now() - t) / 1000);
}

async function pipelineCost(): Promise<string[]> {
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < 3; i++) {
    off.push(await fpsWith(0));
    on.push(await fpsWith(1));
  }
  return [
    row(['person video, 5 fps', 'pipeline fps, analytics never refreshed', median(off).toFixed(2), '', '', 'baseline']),
    row([
      'person video, 5 fps',
      'pipeline fps, analytics refreshed every second',
      median(on).toFixed(2),
      '',
      '',
      (() => {
        const d = (1 - median(on) / median(off)) * 100;
        return d >= 0 ? `${d.toFixed(1)} % lower` : `${(-d).toFixed(1)} % higher (noise)`;
      })(),
    ]),
  ];
}

export async function analyticsBench(): Promise<string[]> {
  return [...(await syntheticYear()), ...(process.env.FOVEA_BENCH_SKIP_FPS ? [] : await pipelineCost())];
}
