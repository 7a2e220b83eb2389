/**
 * A state classifier on the person video (issue 33): "is someone at the table?". Frames every 3 s
 * of the video were labelled by eye (LABELS below: at / away; `?` where a person is passing and
 * either would do). The even ones teach a state classifier on the table's region, through the API;
 * the odd ones are held out. `state@1` then runs the head over the whole video as a stream, and
 * its state events are compared with the changes of the labels: each true change must be met by
 * a state event within 4 s, and few events may be spurious. The figures are printed for the
 * issue's note.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileBlob, form, startAppliance, stream, VIDEOS, waitFor, type Appliance } from '../helpers/fixtures';

/**
 * Frame k is at 3k s, labelled by eye from a contact sheet of the frames
 * (test-artifacts/screenshots/state-sheet.png), eight to a row: T someone at the table, . away,
 * ? someone passing (either would do).
 */
const SHEET = ['..TTTT?.', 'TTTTTTT.', '.TTTTTT.', '.TTT?..T', 'TTTTTTT?', '.?TTT.'];
const LABELS = [...SHEET.join('')].map((c) => (c === 'T' ? 'at' : c === '.' ? 'away' : '?'));
/** The table and whoever stands at it: x 0.42–0.78 of the picture, full height. */
const REGION = [0.42, 0, 0.78, 1] as const;
const VIDEO = join(VIDEOS, 'one-by-one-person-detection.mp4');

let app: Appliance;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fovea-state-'));
  const ff = Bun.spawnSync([
    'ffmpeg',
    '-v',
    'error',
    '-i',
    VIDEO,
    '-vf',
    'fps=1/3',
    '-q:v',
    '3',
    join(dir, 'f%02d.jpg'),
  ]);
  if (ff.exitCode !== 0) throw new Error(ff.stderr.toString());
  Bun.spawnSync([
    'ffmpeg',
    '-v',
    'error',
    '-i',
    VIDEO,
    '-vf',
    'fps=1/3,scale=240:-1,tile=8x6',
    '-frames:v',
    '1',
    '-y',
    join(import.meta.dir, '../../test-artifacts/screenshots/state-sheet.png'),
  ]);
  app = await startAppliance({});
}, 60_000);

afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
  await rm(dir, { recursive: true, force: true });
});

const json = (method: string, body?: unknown) => ({
  method,
  headers: { 'content-type': 'application/json' },
  ...(body !== undefined && { body: JSON.stringify(body) }),
});

test('a state classifier taught on half the labelled frames follows the video: its state events meet the changes of the labels', async () => {
  const frames = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
  expect(frames.length).toBe(LABELS.length);
  const made = await app.api(
    '/api/classifiers',
    json('POST', { name: 'table', kind: 'state', classes: ['at', 'away'], stream: 'tv', region: REGION }),
  );
  expect(made.status).toBe(201);
  const [w, h] = [768, 432];
  const box = [REGION[0] * w, REGION[1] * h, REGION[2] * w, REGION[3] * h];
  for (const [k, f] of frames.entries()) {
    const label = LABELS[k]!;
    if (label === '?' || k % 2 === 1) continue;
    const r = await app.api('/api/images', { method: 'POST', body: form({ file: [await fileBlob(join(dir, f)), f] }) });
    const id = ((await r.json()) as { image_id: string }).image_id;
    const l = await app.api(
      '/api/classifiers/table/examples',
      json('POST', { class: label, items: [{ image_id: id, box }] }),
    );
    expect(l.status).toBe(201);
  }
  const evaluation = (await (await app.api('/api/classifiers/table/evaluate', json('POST', {}))).json()) as {
    accuracy: number;
  };
  expect((await app.api('/api/classifiers/table/save', json('POST', {}))).status).toBe(200);

  const pipelines = app.rt.streams.pipelinesDir;
  await Bun.write(
    join(pipelines, 'table-state.yaml'),
    [
      'description: someone at the table, by a state classifier trained on the box',
      'input:',
      '  fps: 2',
      'stages:',
      '  detect:',
      '    type: detect@1',
      '    options: { model: yolox-nano@1, classes: [person] }',
      '  table:',
      '    type: state@1',
      '    needs: [detect]',
      '    options: { model: custom/table, every_s: 1, confirm: 2, min_score: 0.6 }',
      '  store:',
      '    type: store@1',
      '    needs: [table]',
      '',
    ].join('\n'),
  );
  await app.rt.streams.reconcile(
    [stream({ id: 'tv', url: VIDEO, pipeline: 'table-state', realtime: false })],
    pipelines,
    null,
  );
  await waitFor(() => app.rt.streams.get('tv')?.view().state === 'stopped', 120_000, 'the video analysed');
  await app.rt.sink.flush();
  const events = (
    (await (await app.api('/api/events?stream=tv&type=state&limit=200')).json()) as {
      items: Array<{ detail: { state: string; previous: string | null; ts: number } }>;
    }
  ).items
    .map((e) => e.detail)
    .sort((a, b) => a.ts - b.ts);

  // The labels' changes: between two frames whose labels differ (a '?' between them is skipped).
  const truth: Array<{ at: number; to: string }> = [];
  let prev: { k: number; label: string } | null = null;
  for (const [k, label] of LABELS.entries()) {
    if (label === '?') continue;
    if (prev && prev.label !== label) truth.push({ at: ((prev.k + k) / 2) * 3, to: label });
    prev = { k, label };
  }
  const changes = events.filter((e) => e.previous !== null);
  const met = truth.filter((t) => changes.some((c) => c.state === t.to && Math.abs(c.ts - t.at) <= 4.5));
  const spurious = changes.filter((c) => !truth.some((t) => c.state === t.to && Math.abs(c.ts - t.at) <= 4.5));
  console.log(
    `state classifier on the person video: k-fold accuracy ${(evaluation.accuracy * 100).toFixed(0)} % on ${LABELS.filter((l, k) => l !== '?' && k % 2 === 0).length} frames; ` +
      `first state ${events[0]?.state} at ${events[0]?.ts.toFixed(1)} s; ${met.length} of ${truth.length} changes met within 4.5 s, ${spurious.length} spurious; ` +
      `events ${JSON.stringify(changes.map((c) => `${c.ts.toFixed(1)}→${c.state}`))}; truth ${JSON.stringify(truth.map((t) => `${t.at}→${t.to}`))}`,
  );
  expect(events[0]).toMatchObject({ previous: null, state: 'away' });
  expect(met.length).toBeGreaterThanOrEqual(truth.length - 2);
  expect(spurious.length).toBeLessThanOrEqual(2);
}, 240_000);
