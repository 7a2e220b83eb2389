/**
 * The run queue on a real DuckDB file with a scripted item worker: priority order, resume after a
 * crash (the cut-short item's results removed, finished items kept), a stop marks the run
 * interrupted and the next start finishes it.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { Db } from '../../appliance/store/duckdb';
import { migrate } from '../../appliance/store/migrate';
import { getRun, insertRun, runItems, setItem, setRun, type RunRow } from '../../appliance/store/runs';
import { RunExecutor, type ItemWork } from '../../appliance/runs/executor';
import { itemSession, newSteps } from '../../appliance/runs/model';
import { createLogger } from '../../appliance/shared/log';
import { realTimers } from '../../appliance/shared/timers';
import { tempDir, waitFor } from '../helpers/fixtures';

const TEXT = 'stages:\n  detect:\n    type: detect@1\n';

function runRow(id: string, priority: number, total: number): RunRow {
  return {
    id,
    created_at: new Date(),
    started_at: null,
    finished_at: null,
    status: 'queued',
    pipeline: 'p',
    pipeline_text: TEXT,
    pipeline_file: 'p.yaml',
    revision: null,
    spec: JSON.stringify({ pipeline: 'p', overrides: {}, inputs: [], priority, register_outputs: [] }),
    priority,
    label: null,
    idempotency_key: null,
    spec_hash: 'h',
    parent_id: null,
    created_by: null,
    total,
    error: null,
    owner: 'box',
    private: false,
    upload_bytes: 0,
  };
}

async function addRun(db: Db, id: string, priority: number, total: number): Promise<void> {
  const items = Array.from({ length: total }, (_, idx) => ({
    idx,
    kind: 'image' as const,
    source: `img-${idx}`,
    name: null,
    steps: newSteps(['detect']),
  }));
  await db.transaction((tx) => insertRun(tx, runRow(id, priority, total), items));
}

const executor = (db: Db, work: ItemWork) =>
  new RunExecutor({
    db,
    work,
    reporters: [],
    completed: async () => {},
    concurrency: 1,
    maxLogLines: 100,
    timers: realTimers,
    log: createLogger({ test: true }),
  });

const uuid = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;

test('runs are taken highest priority first, then oldest', async () => {
  await using dir = await tempDir();
  const db = await Db.open(join(dir.path, 'q.duckdb'));
  await migrate(db);
  const order: string[] = [];
  await addRun(db, uuid(1), 0, 1);
  await addRun(db, uuid(2), 5, 1);
  await addRun(db, uuid(3), -1, 1);
  await addRun(db, uuid(4), 5, 1);
  const q = executor(db, { run: async (run) => void order.push(run.id.slice(-1)) });
  q.start();
  await waitFor(async () => (await getRun(db, uuid(3)))?.status === 'succeeded', 10_000, 'all runs');
  await q.stop();
  db.close();
  expect(order).toEqual(['2', '4', '1', '3']);
});

test('resume after a crash: the cut-short item runs again from nothing, finished items are kept', async () => {
  await using dir = await tempDir();
  const db = await Db.open(join(dir.path, 'q.duckdb'));
  await migrate(db);
  const id = uuid(9);
  await addRun(db, id, 0, 3);
  // As a crash leaves it: item 0 done, item 1 in the middle with a result already written.
  const cut = itemSession(id, 1);
  await setRun(db, id, { status: 'running', started_at: new Date() });
  await setItem(db, id, 0, { status: 'succeeded', attempts: 1 });
  await setItem(db, id, 1, { status: 'running', attempts: 1, session_id: cut });
  await db.run(
    `INSERT INTO analysis_results VALUES (gen_random_uuid(), $1::UUID, 'run:x', 1, 0, now(), 'frameAnalyzed', '{}', NULL)`,
    [cut],
  );
  const worked: number[] = [];
  const q = executor(db, { run: async (_r, _s, _p, item) => void worked.push(item.idx) });
  expect(await q.resume()).toBe(1);
  const left = await db.all<{ n: bigint }>('SELECT count(*) AS n FROM analysis_results WHERE session_id = $1::UUID', [
    cut,
  ]);
  expect(Number(left[0]!.n)).toBe(0);
  q.start();
  await waitFor(async () => (await getRun(db, id))?.status === 'succeeded', 10_000, 'the resumed run');
  await q.stop();
  const items = await runItems(db, id);
  db.close();
  // Items 1 and 2 run side by side (two at a time); either may end first.
  expect({ worked: worked.sort(), attempts: items.map((i) => [i.status, i.attempts]) }).toEqual({
    worked: [1, 2],
    attempts: [
      ['succeeded', 1],
      ['succeeded', 2],
      ['succeeded', 1],
    ],
  });
});

test('a clean stop marks the run interrupted with its item pending; the next start finishes it', async () => {
  await using dir = await tempDir();
  const db = await Db.open(join(dir.path, 'q.duckdb'));
  await migrate(db);
  const id = uuid(7);
  await addRun(db, id, 0, 2);
  const q1 = executor(db, {
    run: (_r, _s, _p, _i, _sid, _w, signal) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  });
  q1.start();
  await waitFor(() => q1.current(id).has(0), 10_000, 'item 0 running');
  await q1.stop();
  expect([(await getRun(db, id))?.status, (await runItems(db, id)).map((i) => i.status)]).toEqual([
    'interrupted',
    ['pending', 'pending'],
  ]);
  const q2 = executor(db, { run: async () => ({}) });
  await q2.resume();
  q2.start();
  await waitFor(async () => (await getRun(db, id))?.status === 'succeeded', 10_000, 'the run after restart');
  await q2.stop();
  db.close();
});
