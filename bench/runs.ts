/**
 * @module bench runs: (1) a run over the 100 COCO photos through detect + classify, against a bare
 * loop of the same models on the same files in the same process (decode and fit with sharp, the
 * two sessions, nothing recorded): photos per second and the ratio; (2) a queue of 10,000 photos
 * (the 100 registered images, each 100 times) for 60 s: memory sampled as it works, to show it
 * stays flat, and the submit time; (3) a live stream's analysed fps alone and while a run works:
 * the cost of sharing the inference workers. Medians of 3 where it repeats.
 */
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import {
  COCO,
  VIDEOS,
  ensureModel,
  fileBlob,
  startAppliance,
  stream,
  waitFor,
  type Appliance,
} from '../test/helpers/fixtures';
import { sharpImaging } from '../appliance/imaging/sharp';
import { softmax, toTensor } from '../appliance/inference/preprocess';
import { decodeYolox } from '../appliance/inference/detect/yolox';
import { letterboxOf } from '../appliance/inference/detect/types';
import { median, row } from './lib/stats';

const PIPELINE = [
  'stages:',
  '  detect:',
  '    type: detect@1',
  '  kind:',
  '    type: classify@1',
  '    needs: [detect]',
  '    options: { target: image, top_k: 5 }',
  '',
].join('\n');

// biome-ignore lint/suspicious/noExplicitAny: run answers are read field by field
type Json = Record<string, any>;

async function runOnce(app: Appliance, spec: object): Promise<{ id: string; run: Json }> {
  const res = await app.api('/api/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  const { run_id } = (await res.json()) as { run_id: string };
  // Polled every 500 ms, as the dashboard does: a tighter poll would compete with the run for the store.
  for (;;) {
    await Bun.sleep(500);
    const r = (await (await app.api(`/api/runs/${run_id}?items_limit=1`)).json()) as Json;
    if (['succeeded', 'failed', 'partially_failed', 'canceled'].includes(r.status)) return { id: run_id, run: r };
  }
}

/** The same work without the runs machinery: decode, fit, detect, classify, per photo, in order. */
async function bareLoop(app: Appliance, photos: Uint8Array[]): Promise<number> {
  const det = await app.rt.models.get('yolox-nano@1');
  const cls = await app.rt.models.get('mobilenetv2-classify@1');
  const di = det.entry.input;
  const ci = cls.entry.input;
  const t0 = performance.now();
  for (const data of photos) {
    const fitted = await sharpImaging.fitRaw(
      data,
      { width: di.width, height: di.height, pixfmt: 'bgr24', fit: { mode: 'letterbox', align: 'top-left', pad: 114 } },
      1e9,
    );
    const out = await det.session.run(
      {
        [di.name]: {
          data: toTensor(fitted.pixels, di.width, di.height, { ...di, color: 'RGB' }),
          dims: [1, 3, di.height, di.width],
        },
      },
      [det.entry.output.name],
    );
    decodeYolox(
      out[det.entry.output.name]!.data,
      out[det.entry.output.name]!.dims,
      letterboxOf(fitted.width, fitted.height, di.width, di.height, 'top-left'),
      {
        inputWidth: di.width,
        inputHeight: di.height,
        strides: [8, 16, 32],
        scoreThreshold: 0.3,
        labels: det.labels,
        nmsIou: 0.45,
      },
    );
    const raw = await sharpImaging.decodeRaw(data, 1e9);
    const rgb = await sharpImaging.rawRegionRgb(
      raw,
      { left: 0, top: 0, width: raw.width, height: raw.height },
      ci.width,
      ci.height,
    );
    const c = await cls.session.run(
      { [ci.name]: { data: toTensor(rgb, ci.width, ci.height, ci), dims: [1, 3, ci.height, ci.width] } },
      [cls.entry.output.name],
    );
    softmax(c[cls.entry.output.name]!.data as Float32Array);
  }
  return photos.length / ((performance.now() - t0) / 1000);
}

const rssMb = () => Math.round(process.memoryUsage.rss() / 1e6);

export async function runsBench(): Promise<string[]> {
  await ensureModel('mobilenetv2-classify@1');
  await using app = await startAppliance({ runs: { max_items: 20_000 } });
  await mkdir(app.rt.paths.pipelines, { recursive: true });
  await writeFile(join(app.rt.paths.pipelines, 'inspect.yaml'), PIPELINE);
  const names = readdirSync(COCO)
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  const photos = await Promise.all(names.map((n) => Bun.file(join(COCO, n)).bytes()));
  // The photos registered once; runs take them by id, so each run reads the same files.
  const ids: string[] = [];
  for (const n of names) {
    const f = new FormData();
    f.append('file', await fileBlob(join(COCO, n), 'image/jpeg'), n);
    ids.push(
      ((await (await app.api('/api/images', { method: 'POST', body: f })).json()) as { image_id: string }).image_id,
    );
  }
  const out: string[] = [];
  // (1) throughput against the bare loop, alternating, median of 3.
  await bareLoop(app, photos.slice(0, 5));
  const fovea: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < 3; i++) {
    bare.push(await bareLoop(app, photos));
    const { run } = await runOnce(app, { pipeline: 'inspect', inputs: ids.map((image_id) => ({ image_id })) });
    const s = (Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000;
    fovea.push(run.counts.succeeded / s);
  }
  const [f, b] = [median(fovea), median(bare)];
  out.push(
    row([
      '100 COCO photos, detect + classify',
      '(a) bare loop: sharp fit, YOLOX-nano, MobileNetV2, nothing kept',
      b.toFixed(1),
      '1.00',
      '',
    ]),
  );
  out.push(
    row([
      '100 COCO photos, detect + classify',
      '(b) fovea run: queue, per-step state, results and outputs recorded',
      f.toFixed(1),
      (f / b).toFixed(2),
      'photos/s from first item started to run finished',
    ]),
  );
  // (2) 10,000 queued photos: submit time and memory while it works for 60 s.
  const inputs = Array.from({ length: 10_000 }, (_, i) => ({ image_id: ids[i % ids.length]! }));
  const t0 = performance.now();
  const res = await app.api('/api/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pipeline: 'inspect', inputs }),
  });
  const submitMs = performance.now() - t0;
  const { run_id } = (await res.json()) as { run_id: string };
  const samples: Array<{ done: number; rss: number }> = [];
  for (let s = 0; s < 12; s++) {
    await Bun.sleep(5000);
    const r = (await (await app.api(`/api/runs/${run_id}?items_limit=1`)).json()) as Json;
    samples.push({ done: r.progress.done, rss: rssMb() });
  }
  await app.api(`/api/runs/${run_id}/cancel`, { method: 'POST' });
  const first = samples[1]!;
  const last = samples.at(-1)!;
  out.push(
    row([
      '10,000 queued photos',
      'accept (POST, 10,000 items in one transaction)',
      `${submitMs.toFixed(0)} ms`,
      '',
      `RSS at ${first.done} done: ${first.rss} MB; at ${last.done} done: ${last.rss} MB (${last.rss - first.rss >= 0 ? '+' : ''}${last.rss - first.rss} MB over ${last.done - first.done} items)`,
    ]),
  );
  // (3) a live stream's fps alone and while a run works (the bench's own appliance, 10 fps asked).
  await app.rt.streams.start([
    stream({
      id: 'live',
      url: join(VIDEOS, 'one-by-one-person-detection.mp4'),
      pipeline: 'people',
      realtime: true,
      loop: true,
      fps: 10,
    }),
  ]);
  const fps = () => app.rt.streams.view('live')?.fps_out ?? 0;
  await waitFor(() => fps() > 5, 60_000, 'the live stream');
  await Bun.sleep(5000);
  const alone: number[] = [];
  for (let i = 0; i < 10; i++) {
    alone.push(fps());
    await Bun.sleep(1000);
  }
  const busy = await app.api('/api/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      pipeline: 'inspect',
      inputs: Array.from({ length: 2000 }, (_, i) => ({ image_id: ids[i % 100]! })),
    }),
  });
  const busyId = ((await busy.json()) as { run_id: string }).run_id;
  await Bun.sleep(5000);
  const shared: number[] = [];
  for (let i = 0; i < 10; i++) {
    shared.push(fps());
    await Bun.sleep(1000);
  }
  await app.api(`/api/runs/${busyId}/cancel`, { method: 'POST' });
  out.push(row(['live stream, 10 fps asked', '(c) analysed fps, no run', median(alone).toFixed(1), '1.00', '']));
  out.push(
    row([
      'live stream, 10 fps asked',
      '(d) analysed fps while a detect + classify run works',
      median(shared).toFixed(1),
      (median(shared) / median(alone)).toFixed(2),
      '',
    ]),
  );
  return out;
}
