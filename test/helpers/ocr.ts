/**
 * @module What the reading-text tests share (issue 34): the models they need, a clip of the COCO bus
 * with a plate read by eye as NA52 BUU, the pipelines that read it (plates on a tracked bus, signs on
 * the picture), and photos registered and run through a pipeline.
 */
import { join } from 'node:path';
import { COCO, fileBlob, form, waitFor, type Appliance } from './fixtures';

export const OCR_MODELS = ['yolox-nano@1', 'mobilenetv2-embed@1', 'ppocr-det@4', 'ppocr-rec@4'];

/** `seconds` of the bus photo at 5 fps, as a camera would send it. */
export async function busClip(dir: string, seconds: number): Promise<string> {
  const clip = join(dir, 'bus.mp4');
  const made = Bun.spawnSync(
    ['ffmpeg', '-v', 'error', '-loop', '1', '-i', join(COCO, '000000002006.jpg')].concat([
      '-t',
      String(seconds),
      '-r',
      '5',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      clip,
    ]),
  );
  if (made.exitCode !== 0) throw new Error(`ffmpeg did not make the clip: ${made.stderr.toString()}`);
  return clip;
}

/** Write the plates pipeline of a tracked bus (`plates-live`) and the signs one (`signs`) into the box's pipelines. */
export async function writeOcrPipelines(app: Appliance, snapshots: boolean): Promise<void> {
  const dir = app.rt.streams.pipelinesDir;
  await Bun.write(
    join(dir, 'plates-live.yaml'),
    `stages:\n  detect:\n    type: detect@1\n    options: { model: yolox-nano@1, score: 0.4, classes: [bus] }\n  track:\n    type: track@1\n    needs: [detect]\n  plate:\n    type: ocr@1\n    needs: [track]\n    options: { every_n: 5 }\n  events:\n    type: event@1\n    needs: [plate]\n    options: { snapshots: ${snapshots}, zones: [{ name: stop, polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] }] }\n  store:\n    type: store@1\n    needs: [events]\n`,
  );
  await Bun.write(join(dir, 'signs.yaml'), 'stages:\n  read:\n    type: ocr@1\n    options: { target: image }\n');
}

/** Register COCO photos, run `pipeline` over them, and wait for the run to succeed: their ids and the run's. */
export async function runOverPhotos(app: Appliance, pipeline: string, files: string[]) {
  const ids: string[] = [];
  for (const f of files) {
    const r = await app.api('/api/images', {
      method: 'POST',
      body: form({ file: [await fileBlob(join(COCO, f)), f] }),
    });
    ids.push(((await r.json()) as { image_id: string }).image_id);
  }
  const started = await app.api('/api/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pipeline, inputs: ids.map((image_id) => ({ image_id })) }),
  });
  const runId = ((await started.json()) as { run_id: string }).run_id;
  await waitFor(
    async () => ((await (await app.api(`/api/runs/${runId}`)).json()) as { status: string }).status === 'succeeded',
    120_000,
    'the run',
  );
  return { ids, runId };
}
