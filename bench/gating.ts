/**
 * @module bench gating: what motion gating and regions cost in what is seen (issue 31).
 * (1) Recall against full-frame detection: each idle-then-busy camera clip through the same pipeline
 * with the detector on every frame and gated; on each frame, the objects the gated run reports
 * (tracked, held ones included) are matched to those of the full-frame run (same label, IoU >= 0.5),
 * over all frames and over the frames the gated detector skipped or ran on regions only.
 * (2) Regions on small objects: the 100 COCO photos, detected whole (letterboxed to 416) and as four
 * overlapping 416 tiles at the photo's own resolution, boxes merged by NMS: how many objects each
 * finds, how many of them small (under 32x32 source pixels), and how many of the whole-frame ones
 * the tiles find too. No ground truth is at hand, so the counts are what each sees, not accuracy.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { builtinCatalog, findModel } from '../appliance/models/catalog';
import { pathsOf } from '../appliance/config/paths';
import { modelPoolOf } from '../appliance/compose/gpu';
import { loadPipeline } from '../appliance/pipeline/catalog';
import { instantiate } from '../appliance/pipeline/compile';
import { MemorySink } from '../appliance/pipeline/sink';
import { frameDetections, type Frame } from '../appliance/pipeline/types';
import { runClip } from '../appliance/runs/clip';
import { runDecodeSpec } from '../appliance/runs/item';
import { sharpImaging } from '../appliance/imaging/sharp';
import { spawnFfmpeg } from '../appliance/decode/ffmpeg';
import { realTimers } from '../appliance/shared/timers';
import { createLogger } from '../appliance/shared/log';
import { fitRegion, regionLetterbox, type Rect } from '../appliance/inference/fit';
import { toTensor } from '../appliance/inference/preprocess';
import { decodeYolox } from '../appliance/inference/detect/yolox';
import { iou, nms } from '../appliance/inference/detect/nms';
import { letterboxOf, type Detection } from '../appliance/inference/detect/types';
import { openLocalSession } from '../appliance/inference/onnx-session';
import { verifiedPath } from '../appliance/models/pull';
import { COCO, ensureModel, MODELS_DIR, tempDir, testConfig } from '../test/helpers/fixtures';
import { makeClips, writePipelines, type Clip } from './cameras';
import { row } from './lib/stats';

interface Seen {
  dets: Array<{ label: string; box: readonly number[] }>;
  detector: 'full' | 'regions' | 'skipped' | null;
}

/** A clip through a pipeline of the directory, every frame's reported objects by frame number. */
async function framesOf(dir: string, pipeline: string, clip: string): Promise<Map<number, Seen>> {
  await using state = await tempDir('fovea-bench-gating-');
  const config = testConfig(state.path);
  const catalog = builtinCatalog();
  const log = createLogger({ bench: 'gating' });
  const models = modelPoolOf(config, pathsOf(config), catalog, log);
  const p = loadPipeline(dir, pipeline);
  const running = await instantiate(p, {
    models,
    sink: new MemorySink(),
    snapshots: null,
    publisher: null,
    outputs: null,
    imaging: sharpImaging,
    streamId: 'bench',
    sessionId: Bun.randomUUIDv7(),
    revision: () => null,
    log,
  });
  const seen = new Map<number, Seen>();
  await runClip(
    { spawn: spawnFfmpeg, timers: realTimers, log },
    {
      stream: 'bench',
      path: clip,
      pipeline: running,
      spec: runDecodeSpec(p, catalog),
      signal: new AbortController().signal,
      analysed: (f: Frame) =>
        seen.set(f.seq, {
          dets: frameDetections(f).filter((d) => d.trackId !== null),
          detector: f.gate?.detector ?? null,
        }),
    },
  );
  await models.close();
  return seen;
}

/** Matches of `want` in `got` (same label, IoU >= 0.5, each used once). */
function matched(want: Seen['dets'], got: Seen['dets']): number {
  const free = new Set(got);
  let n = 0;
  for (const w of want) {
    const m = [...free].find((g) => g.label === w.label && iou(g.box, w.box) >= 0.5);
    if (m) {
      free.delete(m);
      n++;
    }
  }
  return n;
}

export async function recallRows(pipelines: string, clips: Clip[]): Promise<string[]> {
  const out: string[] = [];
  for (const c of clips) {
    const kind = c.people ? 'people' : 'objects';
    const full = await framesOf(pipelines, `${kind}-plain`, c.path);
    const gated = await framesOf(pipelines, `${kind}-gated`, c.path);
    const tally = { all: [0, 0], skipped: [0, 0], regions: [0, 0] };
    let skippedFrames = 0;
    for (const [seq, f] of full) {
      const g = gated.get(seq);
      if (!g) continue;
      const hit = matched(f.dets, g.dets);
      tally.all[0]! += hit;
      tally.all[1]! += f.dets.length;
      if (g.detector === 'skipped') {
        skippedFrames++;
        tally.skipped[0]! += hit;
        tally.skipped[1]! += f.dets.length;
      }
      if (g.detector === 'regions') {
        tally.regions[0]! += hit;
        tally.regions[1]! += f.dets.length;
      }
    }
    const pct = ([a, b]: number[]) => (b ? `${((a! / b) * 100).toFixed(1)} % of ${b}` : 'none');
    out.push(
      row([
        `${c.name} camera clip`,
        'recall of the gated run against full-frame detection',
        pct(tally.all),
        `${Math.round((skippedFrames / full.size) * 100)} % of ${full.size} frames skipped`,
        `on skipped frames ${pct(tally.skipped)}; on region frames ${pct(tally.regions)}`,
      ]),
    );
  }
  return out;
}

/** The 100 COCO photos whole and in four 416 tiles: objects found, small ones, agreement. */
export async function tilesRows(): Promise<string[]> {
  const m = findModel(builtinCatalog(), 'yolox-nano@1');
  const { session } = await openLocalSession(await verifiedPath(m, MODELS_DIR), {
    providers: ['cpu'],
    threads: 0,
    ref: 'bench',
  });
  const labels = (await Bun.file(join(import.meta.dir, '../models/labels/coco.txt')).text()).trim().split('\n');
  const fit = { width: 416, height: 416, align: 'top-left' as const, pad: 114 };
  const detect = async (px: Uint8Array, w: number, h: number, r: Rect): Promise<Detection[]> => {
    const f = fitRegion(px, w, h, r, fit);
    const lb = regionLetterbox(letterboxOf(w, h, w, h, 'top-left'), r, f);
    const o = await session.run(
      { images: { data: toTensor(f.pixels, 416, 416, { ...m.input, color: 'RGB' }), dims: [1, 3, 416, 416] } },
      ['output'],
    );
    return decodeYolox(o.output!.data, o.output!.dims, lb, {
      inputWidth: 416,
      inputHeight: 416,
      strides: [8, 16, 32],
      scoreThreshold: 0.3,
      labels,
      nmsIou: 0.65,
    });
  };
  const small = (d: Detection) => (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]) < 32 * 32;
  const t = { whole: 0, tiles: 0, wholeSmall: 0, tilesSmall: 0, agree: 0, photos: 0 };
  for (const name of readdirSync(COCO).filter((f) => f.endsWith('.jpg'))) {
    const { data, info } = await sharp(join(COCO, name))
      .rotate()
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const [w, h] = [info.width, info.height];
    if (w < 416 || h < 416) continue;
    // The model takes BGR.
    const px = new Uint8Array(data);
    for (let i = 0; i < px.length; i += 3) [px[i], px[i + 2]] = [px[i + 2]!, px[i]!];
    const whole = await detect(px, w, h, { x: 0, y: 0, w, h });
    const tiles: Detection[] = [];
    for (const x of [0, w - 416])
      for (const y of [0, h - 416]) tiles.push(...(await detect(px, w, h, { x, y, w: 416, h: 416 })));
    const merged = nms(tiles, 0.65);
    t.photos++;
    t.whole += whole.length;
    t.tiles += merged.length;
    t.wholeSmall += whole.filter(small).length;
    t.tilesSmall += merged.filter(small).length;
    t.agree += matched(whole, merged);
  }
  await session.close();
  return [
    row([
      `${t.photos} COCO photos (at least 416 px each way)`,
      'whole frame letterboxed to 416',
      String(t.whole),
      `${t.wholeSmall} small`,
      '',
    ]),
    row([
      `${t.photos} COCO photos`,
      'four 416 tiles at the photo resolution, merged',
      String(t.tiles),
      `${t.tilesSmall} small`,
      `finds ${t.agree} of the ${t.whole} whole-frame objects`,
    ]),
  ];
}

export async function gatingBench(): Promise<string[]> {
  await ensureModel();
  await using dir = await tempDir('fovea-bench-gating-');
  const pipelines = await writePipelines(dir.path);
  const clips = await makeClips(dir.path, null);
  return [...(await recallRows(pipelines, clips)), ...(await tilesRows())];
}
