/**
 * @module bench ocr (issue 34): reading text with PaddleOCR v4 (det + rec) on this CPU, through
 * `ocr@1` on a real box and as the bare model loop beside it.
 * - Accuracy: COCO photos of ../shared whose text was read by eye (below). Signs: the share of the
 *   words seen by eye that a line read on the whole picture contains. Plates: read on the crops of
 *   the buses and cars the box's detector finds, exactly, within one edit, or not at all.
 * - Cost: ocr@1 per whole frame (the 20 photos with text), per vehicle crop (the plates pipeline
 *   less the same detector alone), and the bare loop: the detector on a 960 x 736 and a 640 x 448
 *   tensor and the recogniser on one 48 x 320 line, in onnxruntime in this process.
 * - The car park clip (top-down, 768 x 432): what a plates pipeline reads there, at its resolution.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { COCO, MODELS_DIR, VIDEOS, ensureModel, startAppliance, stream, waitFor } from '../test/helpers/fixtures';
import { editDistance, plateOf } from '../appliance/ocr/plates';
import { median, ms, percentile, row } from './lib/stats';

/** Text in the photos, read by eye (the words a person sees; letters as printed). */
const SIGNS: Record<string, string[]> = {
  '000000000885.jpg': ['J.P.Morgan', 'POLO'],
  '000000001296.jpg': ['HELLO', 'KITTY'],
  '000000001532.jpg': ['NORTH', 'NORTH', '101', '101', 'Ventura', 'Hollywood', 'Blvd', 'Sunset', 'Blvd'],
  '000000001584.jpg': ['ALDWYCH'],
  '000000002006.jpg': ['Metrocentre', 'via', '96'],
  '000000005477.jpg': ['POLSKIE', 'LINIE', 'LOTNICZE'],
};
/** Plates, read by eye on crops at 4x (ALM 89B is blurred: M, not H, by the shape of its strokes). */
const PLATES: Record<string, string> = { '000000002006.jpg': 'NA52BUU', '000000001584.jpg': 'ALM89B' };

const squash = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

export async function ocrBench(): Promise<string[]> {
  await ensureModel('yolox-nano@1', 'mobilenetv2-embed@1', 'ppocr-det@4', 'ppocr-rec@4');
  await using app = await startAppliance({});
  const dir = app.rt.streams.pipelinesDir;
  const detect =
    'detect:\n    type: detect@1\n    options: { model: yolox-nano@1, score: 0.4, classes: [car, truck, bus] }\n';
  await Bun.write(join(dir, 'vehicles.yaml'), `stages:\n  ${detect}`);
  await Bun.write(join(dir, 'plates.yaml'), `stages:\n  ${detect}  plate:\n    type: ocr@1\n    needs: [detect]\n`);
  await Bun.write(join(dir, 'signs.yaml'), 'stages:\n  read:\n    type: ocr@1\n    options: { target: image }\n');
  const photo = async (f: string) => new Uint8Array(await Bun.file(join(COCO, f)).arrayBuffer());
  const out: string[] = [];

  // Accuracy on signs: a word counts when a line read contains it (spaces and punctuation aside).
  let seen = 0;
  let found = 0;
  const missed: string[] = [];
  for (const [f, words] of Object.entries(SIGNS)) {
    const r = await app.rt.detectOnce('signs', {}, await photo(f));
    const lines = ((r.outputs.read as { image: Array<{ text: string }> }).image ?? []).map((l) => squash(l.text));
    const pool = [...lines];
    for (const w of words) {
      seen++;
      const i = pool.findIndex((l) => l.includes(squash(w)));
      if (i >= 0) {
        found++;
        pool[i] = pool[i]!.replace(squash(w), '');
      } else missed.push(w);
    }
  }
  out.push(
    row([
      `signs, ${Object.keys(SIGNS).length} photos`,
      'words read (of those seen by eye)',
      `${found} / ${seen}`,
      `${((found / seen) * 100).toFixed(0)} %`,
      `missed: ${missed.join(', ') || 'none'}`,
    ]),
  );
  const plateRows: string[] = [];
  for (const [f, plate] of Object.entries(PLATES)) {
    const r = await app.rt.detectOnce('plates', {}, await photo(f));
    const read = r.detections.map((d) => d.text).filter((t): t is string => !!t);
    const best = read.sort((a, b) => editDistance(a, plate) - editDistance(b, plate))[0];
    plateRows.push(`${plate}: ${best ?? 'nothing'}${best ? ` (${editDistance(best, plateOf(plate))} edits)` : ''}`);
  }
  out.push(
    row([
      `plates, ${Object.keys(PLATES).length} photos`,
      'read on the crops of the detected vehicles',
      plateRows.join('; '),
      '',
      'by eye vs read',
    ]),
  );

  // Cost through ocr@1.
  const withText = readdirSync(COCO)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, 100);
  const frameMs: number[] = [];
  for (const f of withText.slice(0, 20)) frameMs.push((await app.rt.detectOnce('signs', {}, await photo(f))).ms);
  out.push(
    row([
      'whole frame',
      'ocr@1 on the picture (det at 960, rec per line)',
      `${ms(median(frameMs))} ms`,
      `p95 ${ms(percentile(frameMs, 95))} ms`,
      '20 COCO photos, 640 px',
    ]),
  );
  const cropMs: number[] = [];
  let crops = 0;
  for (const f of withText) {
    const data = await photo(f);
    const bare = await app.rt.detectOnce('vehicles', {}, data);
    if (!bare.detections.length) continue;
    const full = await app.rt.detectOnce('plates', {}, data);
    const n = full.detections.filter((d) => {
      const [x1, y1, x2, y2] = d.box;
      return Math.min(x2! - x1!, y2! - y1!) >= 32;
    }).length;
    if (!n) continue;
    crops += n;
    cropMs.push((full.ms - bare.ms) / n);
  }
  out.push(
    row([
      'vehicle crop',
      'ocr@1 per crop (det at 640, rec per line)',
      `${ms(median(cropMs))} ms`,
      `p95 ${ms(percentile(cropMs, 95))} ms`,
      `${crops} crops in ${cropMs.length} photos; plates pipeline less the detector alone`,
    ]),
  );

  // The bare model loop: onnxruntime in this process, the same threads, fixed tensors.
  const dirOf = (f: string) => join(MODELS_DIR, f);
  const det = await ort.InferenceSession.create(dirOf('ch_PP-OCRv4_det_infer.onnx'), {});
  const rec = await ort.InferenceSession.create(dirOf('ch_PP-OCRv4_rec_infer.onnx'), {});
  const time = async (s: ort.InferenceSession, dims: number[]) => {
    const t = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b)).fill(0.1), dims);
    await s.run({ x: t });
    const xs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await s.run({ x: t });
      xs.push(performance.now() - t0);
    }
    return median(xs);
  };
  out.push(
    row([
      'bare',
      'detector 960 x 736 / 640 x 448, recogniser 48 x 320',
      `${ms(await time(det, [1, 3, 736, 960]))} / ${ms(await time(det, [1, 3, 448, 640]))} / ${ms(await time(rec, [1, 3, 48, 320]))} ms`,
      '',
      'onnxruntime alone, 10 runs each, its default threads (as the box)',
    ]),
  );
  await det.release();
  await rec.release();

  // The car park clip, at its resolution: what is there to read from above.
  await Bun.write(
    join(dir, 'car-plates.yaml'),
    `stages:\n  ${detect.replace('[car, truck, bus]', '[car, truck, bus]')}  track:\n    type: track@1\n    needs: [detect]\n  plate:\n    type: ocr@1\n    needs: [track]\n  events:\n    type: event@1\n    needs: [plate]\n    options: { snapshots: false, zones: [{ name: lot, polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] }] }\n  store:\n    type: store@1\n    needs: [events]\n`,
  );
  await app.rt.streams.reconcile(
    [stream({ id: 'lot', url: join(VIDEOS, 'car-detection.mp4'), pipeline: 'car-plates', fps: 5 })],
    dir,
    null,
  );
  await waitFor(() => app.rt.streams.get('lot')?.view().state === 'stopped', 600_000, 'the clip analysed');
  await app.rt.sink.flush();
  const frames = app.rt.streams.get('lot')!.view().frames_analysed;
  await app.rt.streams.reconcile([], dir, null);
  const entered = await app.rt.db.all<{ t: string | null }>(
    "SELECT json_extract_string(payload, '$.text[0]') AS t FROM events WHERE stream = 'lot' AND type = 'enter'",
  );
  const texts = entered.map((e) => e.t).filter(Boolean);
  out.push(
    row([
      'car park clip',
      'tracked vehicles with a reading (768 x 432, from above)',
      `${texts.length} / ${entered.length}`,
      '',
      `${frames} frames at 5 fps; read: ${[...new Set(texts)].join(', ') || 'nothing'}`,
    ]),
  );
  return out;
}
