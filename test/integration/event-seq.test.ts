import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { Db } from '../../appliance/store/duckdb';
import { migrate } from '../../appliance/store/migrate';
import { migrations } from '../../appliance/store/migrations';
import { DuckDbSink, eventsAfter, seqOfEvent, type EventRow } from '../../appliance/store/results';
import { tempDir } from '../helpers/fixtures';
import { eventRecord } from '../helpers/events';

describe('event sequence', () => {
  test('seq follows commit order across batches; listeners see each committed event once, in order', async () => {
    await using dir = await tempDir();
    const db = await Db.open(join(dir.path, 'e.duckdb'));
    await migrate(db);
    const sink = await DuckDbSink.open(db);
    const seen: EventRow[] = [];
    sink.onCommitted((rows) => seen.push(...rows));
    const records = Array.from({ length: 700 }, (_, i) => eventRecord(i, i % 2 ? 'a' : 'b'));
    await Promise.all(records.map((r) => sink.event(r)));
    await sink.flush();
    const stored = await eventsAfter(db, 0, {}, 10_000);
    expect(stored.map((r) => r.id)).toEqual(records.map((r) => r.id));
    expect(stored.map((r) => Number(r.seq))).toEqual(records.map((_, i) => i + 1));
    expect(seen.map((r) => r.id)).toEqual(records.map((r) => r.id));
    expect(sink.committedSeq).toBe(700);

    const from = (await seqOfEvent(db, records[499]!.id))!;
    const onlyA = await eventsAfter(db, from, { streams: ['a'], types: ['enter'] }, 10_000);
    expect(onlyA.map((r) => r.id)).toEqual(
      records
        .slice(500)
        .filter((_, j) => (500 + j) % 2 === 1 && (500 + j) % 3 !== 0)
        .map((r) => r.id),
    );
    expect(await seqOfEvent(db, 'not-a-uuid')).toBeNull();
    db.close();

    // A restart continues the sequence where it stopped.
    const db2 = await Db.open(join(dir.path, 'e.duckdb'));
    const sink2 = await DuckDbSink.open(db2);
    await sink2.event(eventRecord(1000));
    await sink2.flush();
    expect(sink2.committedSeq).toBe(701);
    db2.close();
  });

  test('the migration numbers events stored before it in time order', async () => {
    await using dir = await tempDir();
    const db = await Db.open(join(dir.path, 'old.duckdb'));
    await migrate(
      db,
      migrations.filter((m) => m.version < 5),
    );
    for (const [i, t] of [
      [1, '2026-01-01 10:00:02'],
      [2, '2026-01-01 10:00:01'],
    ] as const) {
      await db.run(
        `INSERT INTO events (id, session_id, stream, timestamp, type, label, payload) VALUES (uuid(), uuid(), 'cam', '${t}+00', 'enter', 'p${i}', '{}')`,
      );
    }
    await migrate(db);
    const rows = await eventsAfter(db, 0, {}, 10);
    expect(rows.map((r) => [r.label, Number(r.seq)])).toEqual([
      ['p2', 1],
      ['p1', 2],
    ]);
    db.close();
  });
});
