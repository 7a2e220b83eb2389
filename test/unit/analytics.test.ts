/**
 * Analytics logic: every metric against values worked out by hand for fixed tables (S = 0, 1, ties,
 * uneven), the independence interval and distinct tracks on crafted timelines (through the real
 * record and refresh statements, on an in-memory DuckDB), the checks of a query, sessions and CSV.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Db } from '../../appliance/store/duckdb';
import { migrate } from '../../appliance/store/migrate';
import { bucketed, metricSelect, rebuild, refresh, type Basis } from '../../appliance/store/analytics';
import { abundanceOf, basisOf, csv, dayIn, intervalOf, metricOf, rangeOf } from '../../appliance/analytics/model';
import { applySession } from '../../appliance/analytics/sessions';
import { dropsOf, migrateTo } from '../../appliance/store/migrate';
import { migrations } from '../../appliance/store/migrations';
import { increasingUuids, nextUuid } from '../../appliance/shared/ids';
import { DETECTION_KINDS } from '../../appliance/store/results';

let db: Db;
beforeAll(async () => {
  db = await Db.open(':memory:');
  await migrate(db);
});
afterAll(() => db.close());

describe('diversity metrics, computed by DuckDB', () => {
  // bucket → class → abundance
  const table: Record<string, Record<string, number>> = {
    empty: { a: 0 },
    one: { a: 7 },
    tie2: { a: 3, b: 3 },
    uneven: { a: 2, b: 1, c: 1 },
  };
  const ln = Math.log;
  // Worked out by hand: p = (1/2, 1/4, 1/4) gives H' = 1.5 ln 2, Σp² = 3/8.
  const expected = {
    empty: { richness: 0, shannon: null, simpson: null, evenness: null, hill1: null },
    one: { richness: 1, shannon: 0, simpson: 0, evenness: null, hill1: 1 },
    tie2: { richness: 2, shannon: ln(2), simpson: 0.5, evenness: 1, hill1: 2 },
    uneven: { richness: 3, shannon: 1.5 * ln(2), simpson: 0.625, evenness: (1.5 * ln(2)) / ln(3), hill1: 2 ** 1.5 },
  };

  test('richness, Shannon (ln), Simpson 1−Σp², evenness (null for S ≤ 1), Hill exp(H′)', async () => {
    const values = Object.entries(table).flatMap(([b, cs]) =>
      Object.entries(cs).map(([label, n]) => `('${b}', '${label}', ${n}::DOUBLE)`),
    );
    const rows = await db.all<Record<string, unknown>>(
      `WITH c AS (SELECT * FROM (VALUES ${values.join(', ')}) v(bucket, label, n)) ${metricSelect('c')} ORDER BY bucket`,
    );
    const got = Object.fromEntries(
      rows.map((r) => [
        r.bucket,
        {
          richness: r.richness,
          shannon: r.shannon,
          simpson: r.simpson,
          evenness: r.evenness,
          hill1: r.hill1,
        },
      ]),
    );
    for (const [b, want] of Object.entries(expected))
      for (const [k, v] of Object.entries(want)) {
        const g = (got[b] as Record<string, number | null>)[k];
        if (v === null) expect([b, k, g]).toEqual([b, k, null]);
        else expect([b, k, g]).toEqual([b, k, expect.closeTo(v, 12)]);
      }
    // Never NaN, never -0.
    expect(rows.every((r) => !Object.is(r.shannon, -0) && !Number.isNaN(r.evenness))).toBe(true);
  });
});

describe('records, distinct tracks and independent events', () => {
  const basis: Basis = { timeZone: 'Europe/Berlin', independenceS: 1800 };
  const session = '01900000-0000-7000-8000-000000000001';
  const nextId = increasingUuids();
  // Local (Berlin, UTC+2 in May) times of detections: [label, track (null: none), HH:MM on a day].
  const at = (day: string, hhmm: string) => new Date(`${day}T${hhmm}:00+02:00`);
  async function detect(rows: Array<[string, number | null, Date]>, stream = 'field') {
    await db.append(
      'detections',
      DETECTION_KINDS,
      rows.map(([label, track, ts]) => [nextId(), session, stream, ts, label, 0.9, 0, 0, 1, 1, track, null]),
    );
  }
  const daily = () =>
    db.all<{ day: string; label: string; detections: number; tracks: number; events: number }>(
      `SELECT strftime(day, '%Y-%m-%d') AS day, label, CAST(detections AS INTEGER) AS detections,
         CAST(tracks AS INTEGER) AS tracks, CAST(events AS INTEGER) AS events
       FROM analytics_daily WHERE stream = 'field' ORDER BY day, label`,
    );

  test('a gap under the interval continues an event; over it starts one; a track over midnight counts on both days', async () => {
    // deer: track 1 at 10:00–10:05; track 2 at 10:20 (15 min after: same event); track 3 at 11:10
    // (65 min after: a new one); track 4 from 23:50 to 00:10 of the next day (one event, a track on
    // each day, its next-day part no new event). fox: no tracker, 3 detections at 12:00, 12:00:30 and
    // 12:45: the first two share a minute (one record), the third is 45 min later (a new event).
    await detect([
      ['deer', 1, at('2026-05-01', '10:00')],
      ['deer', 1, at('2026-05-01', '10:05')],
      ['deer', 2, at('2026-05-01', '10:20')],
      ['deer', 3, at('2026-05-01', '11:10')],
      ['fox', null, at('2026-05-01', '12:00')],
      ['fox', null, new Date(at('2026-05-01', '12:00').getTime() + 30_000)],
    ]);
    // A later batch, out of order: the event flags of the day are recomputed, not appended.
    await detect([
      ['fox', null, at('2026-05-01', '12:45')],
      ['deer', 4, at('2026-05-01', '23:50')],
      ['deer', 4, at('2026-05-02', '00:10')],
    ]);
    await refresh(db, basis);
    expect(await daily()).toEqual([
      { day: '2026-05-01', label: 'deer', detections: 5, tracks: 4, events: 3 },
      { day: '2026-05-01', label: 'fox', detections: 3, tracks: 2, events: 2 },
      { day: '2026-05-02', label: 'deer', detections: 1, tracks: 1, events: 0 },
    ]);
    // An earlier sighting arriving late turns the 10:00 event into the continuation of a 9:40 one,
    // and the rebuild from the raw detections agrees with the incremental tables.
    await detect([['deer', 9, at('2026-05-01', '09:40')]]);
    await refresh(db, basis);
    const incremental = await daily();
    expect(incremental[0]).toEqual({ day: '2026-05-01', label: 'deer', detections: 6, tracks: 5, events: 3 });
    await rebuild(db, basis);
    expect(await daily()).toEqual(incremental);
  });

  test('hourly buckets: tracks distinct per hour, events where they start', async () => {
    const rows = await bucketed(
      db,
      basis,
      { pairs: [{ stream: 'field', zone: '' }], from: '2026-05-01', to: '2026-05-01' },
      'hour',
      'events',
      ['deer'],
    );
    expect(rows.map((r) => [(r.bucket as Date).toISOString().slice(11, 16), r.total])).toEqual([
      ['09:00', 1],
      ['10:00', 0],
      ['11:00', 1],
      ['23:00', 1],
    ]);
    // An hour whose only class has no new event: S = 0, the other metrics null, never NaN.
    expect(rows[1]).toMatchObject({ richness: 0, shannon: null, evenness: null });
  });
});

describe('query checks', () => {
  const opts = { timeZone: 'UTC', now: new Date('2026-06-30T12:00:00Z'), defaultDays: 30 };
  test('unknown metric, abundance or interval: 422 naming the valid ones', () => {
    for (const [f, v] of [
      [metricOf, 'diversity'],
      [abundanceOf, 'frames'],
      [intervalOf, 'month'],
    ] as const) {
      try {
        f(v);
        throw new Error('accepted');
      } catch (e) {
        expect((e as { status: number }).status).toBe(422);
        expect((e as Error).message).toMatch(/valid are \w+, \w+/);
      }
    }
    expect([metricOf(undefined), abundanceOf(''), intervalOf('week')]).toEqual(['shannon', 'tracks', 'week']);
  });
  test('ranges: default ends today; from after to and over five years are refused; a session clips', () => {
    expect(rangeOf({}, opts)).toEqual({ from: '2026-06-01', to: '2026-06-30' });
    expect(() => rangeOf({ from: '2026-06-02', to: '2026-06-01' }, opts)).toThrow(/after/);
    expect(() => rangeOf({ from: '2020-01-01', to: '2026-01-01' }, opts)).toThrow(/five years/);
    expect(() => rangeOf({ from: 'yesterday' }, opts)).toThrow(/not a date/);
    expect(rangeOf({ from: '2026-01-01' }, { ...opts, within: { from: '2026-03-01', to: '2026-03-10' } })).toEqual({
      from: '2026-03-01',
      to: '2026-03-10',
    });
    expect(dayIn('Pacific/Auckland', new Date('2026-06-30T13:00:00Z'))).toBe('2026-07-01');
    expect(() => basisOf({ time_zone: 'Mars/Olympus', independence_s: 60 })).toThrow(/unknown time zone/);
  });
  test('CSV quotes what needs quoting', () => {
    expect(
      csv(
        ['a', 'b'],
        [
          ['x,y', null],
          ['say "hi"', 1.5],
        ],
      ),
    ).toBe('a,b\r\n"x,y",\r\n"say ""hi""",1.5\r\n');
  });
});

describe('sessions', () => {
  const known = { streams: new Set(['gate', 'field']), runs: new Set(['r1']) };
  const ctx = { id: 's1', owner: 'ana', now: new Date('2026-06-01T00:00:00Z') };
  test('a new session needs a name, a start and something to count; streams and runs must exist', () => {
    const s = applySession(
      null,
      { name: ' Meadow ', starts_at: '2026-05-01', streams: ['field', { stream: 'gate', zones: ['path'] }] },
      known,
      ctx,
    );
    expect(s).toMatchObject({
      name: 'Meadow',
      owner: 'ana',
      streams: [
        { stream: 'field', zones: [] },
        { stream: 'gate', zones: ['path'] },
      ],
      starts_at: '2026-05-01T00:00:00.000Z',
      ends_at: null,
    });
    expect(() => applySession(null, { name: 'x', starts_at: '2026-05-01', streams: ['pond'] }, known, ctx)).toThrow(
      "no stream 'pond'",
    );
    expect(() => applySession(null, { name: 'x', starts_at: '2026-05-01', runs: ['r9'] }, known, ctx)).toThrow(
      "no run 'r9'",
    );
    expect(() => applySession(null, { starts_at: '2026-05-01', streams: ['gate'] }, known, ctx)).toThrow('name');
    expect(() => applySession(null, { name: 'x', starts_at: '2026-05-01' }, known, ctx)).toThrow('at least one');
    expect(() =>
      applySession(null, { name: 'x', starts_at: '2026-05-02', ends_at: '2026-05-01', streams: ['gate'] }, known, ctx),
    ).toThrow('after starts_at');
    expect(() => applySession(null, { name: 'x', starts_at: 'soon', streams: ['gate'] } as never, known, ctx)).toThrow(
      'ISO 8601',
    );
    // A change keeps what it does not name.
    const changed = applySession(s, { ends_at: '2026-05-31T00:00:00Z' }, known, { ...ctx, owner: 'bo' });
    expect([changed.name, changed.owner, changed.ends_at]).toEqual(['Meadow', 'ana', '2026-05-31T00:00:00.000Z']);
    expect(() => applySession(s, { colour: 'red' } as never, known, ctx)).toThrow('not a session field');
  });
});

test('ids made one after another increase, even within a millisecond or after a clock set back', () => {
  const fixed = increasingUuids('', () => '01900000-0000-7000-8000-00000000000a');
  expect([fixed(), fixed()]).toEqual(['01900000-0000-7000-8000-00000000000a', '01900000-0000-7000-8000-00000000000b']);
  const behind = increasingUuids('01900000-0000-7000-8000-0000000000ff', () => '01800000-0000-7000-8000-000000000000');
  expect(behind()).toBe('01900000-0000-7000-8000-000000000100');
  expect(nextUuid('0190ffff-ffff-7fff-bfff-ffffffffffff')).toBe('0190ffff-ffff-7fff-c000-000000000000');
});

describe('migrations both ways', () => {
  test('a populated database goes down step by step to 0 and up again: the same schema; rows kept where their table stays', async () => {
    const schemaOf = async (d: Db) =>
      JSON.stringify([
        await d.all(
          'SELECT table_name, column_name, data_type, is_nullable, column_default FROM duckdb_columns() WHERE NOT internal ORDER BY ALL',
        ),
        await d.all('SELECT table_name, index_name, is_unique, sql FROM duckdb_indexes() ORDER BY ALL'),
      ]);
    const fresh = await Db.open(':memory:');
    await migrate(fresh);
    const want = await schemaOf(fresh);
    fresh.close();
    const box = await Db.open(':memory:');
    await migrate(box);
    // Rows in the tables every down step touches.
    await box.run(`INSERT INTO images (id, storage_key, thumb_key, size_bytes, mime, width, height, embedding, model_id, created_at, updated_at, owner, private, preview_key, sha256)
      VALUES (uuid(), 'k', 't', 1, 'image/jpeg', 1, 1, [0.5], 'm', now(), now(), 'u1', true, 'p', 'h')`);
    await box.run(`INSERT INTO events (id, session_id, stream, timestamp, type, label, payload, seq, revision)
      VALUES (uuid(), uuid(), 'cam', now(), 'enter', 'person', '{}', 1, 'r1')`);
    await box.run(`INSERT INTO detections VALUES (uuid(), uuid(), 'cam', now(), 'person', 0.9, 0, 0, 1, 1, 7, 'r1')`);
    await box.run(
      `INSERT INTO analysis_results VALUES (uuid(), uuid(), 'cam', 1, 0, now(), 'frameAnalyzed', '{}', 'r1')`,
    );
    const refused = await migrateTo(box, 4, { acceptLoss: false }).catch((e: Error) => e.message);
    expect(refused).toMatch(
      /images\.preview_key \(1 rows, migration 11\).*images\.owner \(1 rows, migration 10\).*events\.revision \(1 rows, migration 7\).*events\.seq \(1 rows, migration 5\)/,
    );
    const down = await migrateTo(box, 4, { acceptLoss: true });
    expect(down.reverted).toEqual([19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5]);
    // Down to 4: the images, events and detections are still there, without the dropped columns.
    const kept = await box.all<{ i: bigint; e: bigint; d: bigint }>(
      'SELECT (SELECT count(*) FROM images) AS i, (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM detections) AS d',
    );
    expect(kept.map((r) => [Number(r.i), Number(r.e), Number(r.d)])).toEqual([[1, 1, 1]]);
    await migrateTo(box, 0, { acceptLoss: true });
    expect(await box.all("SELECT table_name FROM duckdb_tables() WHERE table_name <> 'schema_migrations'")).toEqual([]);
    await migrate(box);
    expect(await schemaOf(box)).toBe(want);
    box.close();
  });

  test('every migration has a down step, and what it drops is read from it', () => {
    expect(migrations.filter((m) => !m.down.trim()).map((m) => m.version)).toEqual([]);
    expect(dropsOf(migrations.find((m) => m.version === 7)!.down)).toContainEqual({
      table: 'detections',
      column: 'revision',
    });
    expect(dropsOf(migrations.find((m) => m.version === 9)!.down).map((d) => d.table)).toContain('analysis_sessions');
  });
});
