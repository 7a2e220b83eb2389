/**
 * fovea's detection path against a reference written here from each detector's upstream recipe,
 * sharing no code with fovea but the ONNX file: the photo decoded by sharp, resized as OpenCV's
 * INTER_LINEAR does (`cv2.resize`, size truncated, `(x + 0.5) * scale - 0.5`), letterboxed, the
 * model run by onnxruntime-node directly, and decoded as the upstream post-processing does:
 * - YOLOX (`yolox/utils/boxes.py postprocess`): the best class per anchor, score objectness x
 *   class, kept at >= the threshold, class-wise NMS at 0.65 (its COCO evaluator's);
 * - NanoDet (`nanodet/model/head/gfl_head.py get_bboxes`, `multiclass_nms`): every class above
 *   the threshold per anchor, centres `(i + 0.5) * stride`, distances the expectation of a softmax
 *   over 8 bins, boxes clamped to the input, class-wise NMS at 0.6, the best 100.
 * On the 100 COCO photos at score 0.05, all classes, every detection must match (same class, box
 * within 1 px, score within 1e-3), both ways. Two differences from upstream, on purpose: boxes are
 * clipped to the photo (fovea clips everywhere), and NanoDet's letterbox is a resize and a centred
 * paste (its demo warps with one affine matrix; the same geometry, a sub-pixel shift apart).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { COCO, MODELS_DIR, SHARED, ensureModel, startAppliance, type Appliance } from '../helpers/fixtures';

type Box = [number, number, number, number];
interface Det {
  label: string;
  score: number;
  box: Box;
}

const COCO_LABELS = (await Bun.file(join(SHARED, 'models/coco_classes.txt')).text()).trim().split('\n');
let app: Appliance;
let photos: string[];

beforeAll(async () => {
  await ensureModel('yolox-nano@1', 'nanodet-m@1');
  app = await startAppliance({});
  await mkdir(app.rt.paths.pipelines, { recursive: true });
  for (const [name, model] of [
    ['ref-yolox', 'yolox-nano@1'],
    ['ref-nanodet', 'nanodet-m@1'],
  ])
    await writeFile(
      join(app.rt.paths.pipelines, `${name}.yaml`),
      `stages:\n  detect:\n    type: detect@1\n    options: { model: ${model}, score: 0.05 }\n`,
    );
  photos = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).sort();
}, 120_000);

afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
});

/** cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR), written plainly. */
function cvResize(src: Uint8Array, w: number, h: number, dw: number, dh: number): Uint8Array {
  const out = new Uint8Array(dw * dh * 3);
  const at = (f: number, n: number): [number, number, number] => {
    let i = Math.floor(f);
    let a = f - i;
    if (i < 0) [i, a] = [0, 0];
    if (i >= n - 1) [i, a] = [n - 1, 0];
    return [i, Math.min(i + 1, n - 1), a];
  };
  for (let y = 0; y < dh; y++) {
    const [y0, y1, b] = at((y + 0.5) * (h / dh) - 0.5, h);
    for (let x = 0; x < dw; x++) {
      const [x0, x1, a] = at((x + 0.5) * (w / dw) - 0.5, w);
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => src[(yy * w + xx) * 3 + c]!;
        const v = (p(y0, x0) * (1 - a) + p(y0, x1) * a) * (1 - b) + (p(y1, x0) * (1 - a) + p(y1, x1) * a) * b;
        out[(y * dw + x) * 3 + c] = Math.round(v);
      }
    }
  }
  return out;
}

interface Recipe {
  file: string;
  size: number;
  center: boolean;
  pad: number;
  mean: number[];
  std: number[];
}

/** The photo as the model's input tensor (NCHW, BGR), with the resize ratio and the paste offset. */
async function input(path: string, r: Recipe) {
  const { data, info } = await sharp(path).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const [w, h] = [info.width, info.height];
  const ratio = Math.min(r.size / w, r.size / h);
  const [sw, sh] = [Math.floor(w * ratio), Math.floor(h * ratio)];
  const [ox, oy] = r.center ? [Math.floor((r.size - sw) / 2), Math.floor((r.size - sh) / 2)] : [0, 0];
  const small = cvResize(new Uint8Array(data), w, h, sw, sh);
  const plane = r.size * r.size;
  const t = new Float32Array(3 * plane);
  for (let y = 0; y < r.size; y++)
    for (let x = 0; x < r.size; x++) {
      const inside = x >= ox && x < ox + sw && y >= oy && y < oy + sh;
      for (let c = 0; c < 3; c++) {
        // BGR: channel 0 is blue, the photo's third.
        const v = inside ? small[((y - oy) * sw + (x - ox)) * 3 + (2 - c)]! : r.pad;
        t[c * plane + y * r.size + x] = (v - r.mean[c]!) / r.std[c]!;
      }
    }
  return { tensor: new ort.Tensor('float32', t, [1, 3, r.size, r.size]), ratio, ox, oy, w, h };
}

function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/** torchvision's batched_nms: per class, highest score first, drop what overlaps a kept box by more than t. */
function batchedNms(c: Array<Det & { cls: number }>, t: number, max = Infinity): Det[] {
  const kept: Array<Det & { cls: number }> = [];
  for (const d of [...c].sort((a, b) => b.score - a.score)) {
    if (kept.length >= max) break;
    if (kept.every((k) => k.cls !== d.cls || iou(k.box, d.box) <= t)) kept.push(d);
  }
  return kept.map(({ label, score, box }) => ({ label, score, box }));
}

const back = (b: Box, m: { ratio: number; ox: number; oy: number; w: number; h: number }): Box => {
  const clip = (v: number, max: number) => Math.max(0, Math.min(max, v));
  return [
    clip((b[0] - m.ox) / m.ratio, m.w),
    clip((b[1] - m.oy) / m.ratio, m.h),
    clip((b[2] - m.ox) / m.ratio, m.w),
    clip((b[3] - m.oy) / m.ratio, m.h),
  ];
};

const YOLOX: Recipe = {
  file: 'yolox_nano_416.onnx',
  size: 416,
  center: false,
  pad: 114,
  mean: [0, 0, 0],
  std: [1, 1, 1],
};
const NANODET: Recipe = {
  file: 'nanodet_m_320.onnx',
  size: 320,
  center: true,
  pad: 0,
  mean: [103.53, 116.28, 123.675],
  std: [57.375, 57.12, 58.395],
};

async function yoloxReference(s: ort.InferenceSession, path: string, thr: number): Promise<Det[]> {
  const m = await input(path, YOLOX);
  const out = (await s.run({ images: m.tensor })).output!;
  const d = out.data as Float32Array;
  const [n, k] = [out.dims[1]!, out.dims[2]!];
  const cands: Array<Det & { cls: number }> = [];
  let i = 0;
  for (const st of [8, 16, 32])
    for (let gy = 0; gy < 416 / st; gy++)
      for (let gx = 0; gx < 416 / st; gx++, i++) {
        const row = d.subarray(i * k, (i + 1) * k);
        let cls = 0;
        for (let c = 1; c < k - 5; c++) if (row[5 + c]! > row[5 + cls]!) cls = c;
        const score = row[4]! * row[5 + cls]!;
        if (score < thr) continue;
        const [cx, cy] = [(row[0]! + gx) * st, (row[1]! + gy) * st];
        const [bw, bh] = [Math.exp(row[2]!) * st, Math.exp(row[3]!) * st];
        cands.push({
          cls,
          label: COCO_LABELS[cls]!,
          score,
          box: back([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], m),
        });
      }
  expect(i).toBe(n);
  return batchedNms(cands, 0.65);
}

async function nanodetReference(s: ort.InferenceSession, path: string, thr: number): Promise<Det[]> {
  const m = await input(path, NANODET);
  const out = await s.run({ 'input.1': m.tensor });
  const cands: Array<Det & { cls: number }> = [];
  for (const st of [8, 16, 32]) {
    const cls = out[`cls_pred_stride_${st}`]!;
    const reg = out[`dis_pred_stride_${st}`]!.data as Float32Array;
    const [n, k] = [cls.dims[1]!, cls.dims[2]!];
    const cells = Math.ceil(320 / st);
    for (let i = 0; i < n; i++) {
      const [cx, cy] = [((i % cells) + 0.5) * st, (Math.floor(i / cells) + 0.5) * st];
      const side = (j: number) => {
        const v = reg.subarray(i * 32 + j * 8, i * 32 + j * 8 + 8);
        const mx = Math.max(...v);
        const e = [...v].map((x) => Math.exp(x - mx));
        return (e.reduce((a, x, b) => a + x * b, 0) / e.reduce((a, x) => a + x, 0)) * st;
      };
      const clamp = (v: number) => Math.max(0, Math.min(320, v));
      let box: Box | null = null;
      for (let c = 0; c < k; c++) {
        const score = (cls.data as Float32Array)[i * k + c]!;
        if (score < thr) continue;
        box ??= back([clamp(cx - side(0)), clamp(cy - side(1)), clamp(cx + side(2)), clamp(cy + side(3))], m);
        cands.push({ cls: c, label: COCO_LABELS[c]!, score, box });
      }
    }
  }
  return batchedNms(cands, 0.6, 100);
}

/** The detections of one side that the other lacks (same class, box within 1 px, score within 1e-3). */
function unmatched(a: Det[], b: Det[]): Det[] {
  const left = [...b];
  return a.filter((d) => {
    const j = left.findIndex(
      (e) =>
        e.label === d.label &&
        Math.abs(e.score - d.score) <= 1e-3 &&
        e.box.every((v, n) => Math.abs(v - d.box[n]!) <= 1),
    );
    if (j < 0) return true;
    left.splice(j, 1);
    return false;
  });
}

describe('detection matches a reference decode written from each upstream recipe', () => {
  for (const [name, recipe, reference] of [
    ['ref-yolox', YOLOX, yoloxReference],
    ['ref-nanodet', NANODET, nanodetReference],
  ] as const)
    test(`${name}: every detection of the 100 COCO photos at score 0.05, both ways`, async () => {
      expect(COCO_LABELS.length).toBe(80);
      const session = await ort.InferenceSession.create(join(MODELS_DIR, recipe.file), {
        executionProviders: ['cpu'],
      });
      let total = 0;
      const wrong: string[] = [];
      for (const photo of photos) {
        const path = join(COCO, photo);
        const ref = await reference(session, path, 0.05);
        const ours = (await app.rt.detectOnce(name, {}, new Uint8Array(await Bun.file(path).arrayBuffer())))
          .detections as unknown as Det[];
        total += ref.length;
        const missing = unmatched(ref, ours);
        const extra = unmatched(ours, ref);
        if (missing.length || extra.length)
          wrong.push(
            `${photo}: ${missing.length} missing (${JSON.stringify(missing[0])}), ${extra.length} extra (${JSON.stringify(extra[0])})`,
          );
      }
      await session.release();
      console.log(`${name}: ${total} reference detections over ${photos.length} photos; ${wrong.length} photos differ`);
      expect(wrong).toEqual([]);
      expect(total).toBeGreaterThan(photos.length);
    }, 240_000);
});
