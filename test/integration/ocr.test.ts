/**
 * Reading text on a real box (issue 34): PaddleOCR v4's detector and recogniser, pulled from the npm
 * package by their pinned sha256, run as `ocr@1` in pipelines over COCO photos whose text was read
 * by eye (written below). Plates on the vehicles the box's detector finds, a known plate named
 * within one edit, and signs read on the whole picture.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { COCO, ensureModel, startAppliance, stream, tempDir, waitFor, type Appliance } from '../helpers/fixtures';
import { busClip, OCR_MODELS, runOverPhotos, writeOcrPipelines } from '../helpers/ocr';

let app: Appliance;
const photo = async (f: string) => new Uint8Array(await Bun.file(join(COCO, f)).arrayBuffer());

beforeAll(async () => {
  await ensureModel(...OCR_MODELS);
  app = await startAppliance({});
  const dir = app.rt.streams.pipelinesDir;
  await Bun.write(
    join(dir, 'plates.yaml'),
    'stages:\n  detect:\n    type: detect@1\n    options: { model: yolox-nano@1, score: 0.4, classes: [car, truck, bus] }\n  plate:\n    type: ocr@1\n    needs: [detect]\n    options: { plates: { known: { "ALM 89B": red bus }, fuzzy: 1 } }\n',
  );
  await writeOcrPipelines(app, false);
}, 180_000);

afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
});

type Det = { label: string; text?: string; text_score?: number; sub_label?: string };

test('plates on the vehicles the detector finds: read as they are, a known one named within an edit', async () => {
  const bus = await app.rt.detectOnce('plates', {}, await photo('000000002006.jpg'));
  const red = await app.rt.detectOnce('plates', {}, await photo('000000001584.jpg'));
  const texts = (o: { detections: Det[] }) =>
    o.detections.filter((d) => d.text).map((d) => [d.label, d.text, d.sub_label]);
  expect(texts(bus)).toEqual([['bus', 'NA52BUU', undefined]]);
  expect(texts(red)).toEqual([['bus', expect.stringMatching(/^AL[MH]89B$/), 'red bus']]);
});

test('signs read on the whole picture', async () => {
  const words = async (f: string) =>
    (
      (await app.rt.detectOnce('signs', {}, await photo(f))).outputs.read as { image: Array<{ text: string }> }
    ).image.map((l) => l.text);
  const read = { morgan: await words('000000000885.jpg'), freeway: await words('000000001532.jpg') };
  expect(read.morgan).toEqual(expect.arrayContaining(['J.P.Morgan', 'POLO']));
  expect(read.freeway).toEqual(expect.arrayContaining(['NORTH', 'Ventura', '101', 'Sunset', 'EXIT']));
});

test("on video: a tracked bus's plate rides on its events, and events are found by the plate, exactly or within an edit", async () => {
  await using dir = await tempDir('fovea-ocr-');
  const clip = await busClip(dir.path, 3);
  const pipelines = app.rt.streams.pipelinesDir;
  const streams = [stream({ id: 'stop', url: clip, pipeline: 'plates-live', fps: 5, review: { gap_s: 1, max_s: 5 } })];
  await app.rt.streams.reconcile(streams, pipelines, null);
  app.rt.reviews.apply(streams);
  await waitFor(() => app.rt.streams.get('stop')?.view().state === 'stopped', 60_000, 'the clip analysed');
  await app.rt.sink.flush();
  await app.rt.streams.reconcile([], pipelines, null);
  app.rt.reviews.apply([]);
  type Events = { items: Array<{ type: string; label: string; detail: { text?: [string, number] } }> };
  const events = async (q: string) => ((await (await app.api(`/api/events?stream=stop${q}`)).json()) as Events).items;
  const all = await events('');
  const exact = await events(`&text=${encodeURIComponent('na52 buu')}`);
  const near = await events('&text=NA52BUV&text_fuzzy=1');
  const far = await events('&text=NA52BVV&text_fuzzy=1');
  // Counts are no object's: every enter and leave of the bus carries its plate.
  const tracked = all.filter((e) => e.type !== 'count');
  expect([tracked.map((e) => [e.type, e.detail.text?.[0]]).sort(), exact.length, near.length, far.length]).toEqual([
    [
      ['enter', 'NA52BUU'],
      ['leave', 'NA52BUU'],
    ],
    tracked.length,
    tracked.length,
    0,
  ]);
  // Review shows the plate.
  const reviewed = (
    (await (await app.api('/api/review?stream=stop&severity=detection')).json()) as {
      items: Array<{ labels: string[]; texts: string[] }>;
    }
  ).items;
  expect(reviewed.map((i) => [i.labels, i.texts])).toContainEqual([['bus'], ['NA52BUU']]);
  const bad = await app.api('/api/events?text=NA52BUU&text_fuzzy=9');
  expect(bad.status).toBe(422);
});

test('a pattern that is not a regular expression, or a detector that reads no text, is refused with why', async () => {
  const dir = app.rt.streams.pipelinesDir;
  await Bun.write(
    join(dir, 'bad-pattern.yaml'),
    'stages:\n  read:\n    type: ocr@1\n    options: { target: image, pattern: "([A-Z" }\n',
  );
  await Bun.write(
    join(dir, 'bad-model.yaml'),
    'stages:\n  read:\n    type: ocr@1\n    options: { target: image, detector: yolox-nano@1 }\n',
  );
  const why = async (p: string) =>
    (await app.rt.detectOnce(p, {}, await photo('000000000885.jpg')).catch((e: Error) => e)) as Error;
  expect([(await why('bad-pattern')).message, (await why('bad-model')).message]).toEqual([
    expect.stringContaining('pattern ([A-Z is not a regular expression'),
    expect.stringContaining('yolox-nano@1 is not a text detector (task detect)'),
  ]);
});

test("a run over library photos gives each photo's text, and the library is searched by it", async () => {
  const files = ['000000000885.jpg', '000000005477.jpg', '000000000139.jpg'];
  const { ids: list, runId } = await runOverPhotos(app, 'signs', files);
  const ids = Object.fromEntries(files.map((f, i) => [f, list[i]!]));
  type Items = { items: Array<{ output: { outputs: { read: { image: Array<{ text: string }> } } } }> };
  const items = ((await (await app.api(`/api/runs/${runId}`)).json()) as Items).items;
  const found = async (q: string) =>
    (
      (await (await app.api(`/api/images?text=${encodeURIComponent(q)}`)).json()) as {
        items: Array<{ image_id: string }>;
      }
    ).items.map((i) => i.image_id);
  expect(items.map((i) => i.output.outputs.read.image.map((l) => l.text))).toEqual([
    expect.arrayContaining(['J.P.Morgan', 'POLO']),
    // The airline's name, read by eye: POLSKIE LINIE LOTNICZE (the recogniser drops some spaces).
    [expect.stringMatching(/^POLSKIE ?LINIE ?LOTNICZE$/)],
    [],
  ]);
  expect([await found('morgan'), await found('lotnicze'), await found('100%_')]).toEqual([
    [ids['000000000885.jpg']!],
    [ids['000000005477.jpg']!],
    [],
  ]);
  // A deleted photo takes its text with it.
  await app.api(`/api/images/${ids['000000000885.jpg']}`, { method: 'DELETE' });
  expect(await found('morgan')).toEqual([]);
});
