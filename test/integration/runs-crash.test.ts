/**
 * A run survives a crash: the appliance is SIGKILLed in the middle of a run of 60 photos and
 * started again on the same state; the run resumes on its own and completes with every item
 * succeeded, none lost, and none done twice (one stored result per photo that had detections).
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { COCO, ensureModel, fileBlob, tempDir, waitFor } from '../helpers/fixtures';
import { spawnFovea } from '../helpers/process';
import { Db } from '../../appliance/store/duckdb';

const config = { device_id: 'box-c', api: { auth: false }, backup: { schedule: false } };
// biome-ignore lint/suspicious/noExplicitAny: run answers are read field by field
type Json = Record<string, any>;

test('SIGKILL mid-run, restart: the run completes with no item lost or done twice', async () => {
  await ensureModel();
  await using dir = await tempDir();
  const photos = readdirSync(COCO)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, 60);
  const form = new FormData();
  for (const p of photos) form.append('files', await fileBlob(join(COCO, p), 'image/jpeg'), p);
  form.append('spec', JSON.stringify({ pipeline: 'objects' }));
  let runId: string;
  {
    await using first = await spawnFovea(dir.path, config);
    const res = await fetch(`${first.url}/api/runs`, { method: 'POST', body: form });
    runId = ((await res.json()) as Json).run_id;
    expect(res.status).toBe(202);
    await waitFor(
      async () => ((await (await fetch(`${first.url}/api/runs/${runId}`)).json()) as Json).progress.done >= 15,
      60_000,
      'fifteen items done',
    );
    expect(await first.kill('SIGKILL')).not.toBe(0);
  }
  let run: Json;
  {
    await using second = await spawnFovea(dir.path, config);
    run = await waitFor(
      async () => {
        const r = (await (await fetch(`${second.url}/api/runs/${runId}`)).json()) as Json;
        return r.status === 'succeeded' || r.status.includes('fail') ? r : null;
      },
      90_000,
      'the resumed run to finish',
    );
    const log = (await (await fetch(`${second.url}/api/runs/${runId}/log`)).json()) as Json;
    expect(log.lines.map((l: Json) => l.message)).toContain('resumed after a crash');
    expect(await second.kill('SIGTERM')).toBe(0);
  }
  const items = run.items as Json[];
  expect({
    status: run.status,
    counts: run.counts,
    // At most one item was in the middle at the kill: it alone ran twice.
    rerun: items.filter((i) => i.attempts > 1).length <= 1,
  }).toEqual({ status: 'succeeded', counts: { succeeded: 60 }, rerun: true });
  const db = await Db.open(join(dir.path, 'fovea.duckdb'));
  try {
    const perPhoto = await db.all<{ seq: bigint; n: bigint }>(
      "SELECT seq, count(*) AS n FROM analysis_results WHERE stream = 'run:' || $1 GROUP BY seq ORDER BY seq",
      [runId],
    );
    const withDetections = items.filter((i) => i.output.detections.length > 0).map((i) => i.index);
    expect(perPhoto.map((r) => [Number(r.seq), Number(r.n)])).toEqual(withDetections.map((i) => [i, 1]));
  } finally {
    db.close();
  }
}, 240_000);
