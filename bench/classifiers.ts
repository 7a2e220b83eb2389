/**
 * @module bench classifiers (issue 33): a linear head on the box's 1280-d embeddings, on real crops.
 * The 100 COCO photos of ../shared are run through the box's detector (the `objects` pipeline,
 * YOLOX-nano); each detection of score ≥ 0.35 and at least 32 px a side is cut out (10 % margin),
 * embedded as the box embeds any picture, and given its COCO supercategory: person, animal,
 * vehicle, food or furniture (the 100 photos hold 3 cats and 2 dogs, too few to be classes of their
 * own). The labels are the detector's. For 5, 10 and 20 examples per class, ten seeded draws train a
 * head on the classes that have enough crops and classify every crop not drawn: the mean accuracy and
 * the median training time. Then the training time for 1,000 examples, and the cost per crop of the
 * head (onnxruntime, its ONNX file) beside the embedding it needs.
 */
import sharp from 'sharp';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { COCO, startAppliance } from '../test/helpers/fixtures';
import { argmax, predict, train } from '../appliance/classifiers/train';
import { headOnnx } from '../appliance/classifiers/onnx';
import { median, ms, percentile, row } from './lib/stats';

const CLASSES = ['person', 'animal', 'vehicle', 'food', 'furniture'] as const;
const group = (labels: string[], g: (typeof CLASSES)[number]) => Object.fromEntries(labels.map((l) => [l, g]));
/** COCO's supercategories, for the labels of the detector's catalog (coco.txt names). */
const GROUPS: Record<string, (typeof CLASSES)[number]> = {
  person: 'person',
  ...group(['bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe'], 'animal'),
  ...group(['bicycle', 'car', 'motorbike', 'aeroplane', 'bus', 'train', 'truck', 'boat'], 'vehicle'),
  ...group(
    ['banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake'],
    'food',
  ),
  ...group(['chair', 'sofa', 'pottedplant', 'bed', 'diningtable', 'toilet'], 'furniture'),
};
const classOf = (label: string) => GROUPS[label] ?? null;

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function classifiersBench(): Promise<string[]> {
  await using app = await startAppliance({});
  const crops: Array<{ x: Float32Array; y: number }> = [];
  const embedMs: number[] = [];
  for (const f of readdirSync(COCO)
    .filter((n) => n.endsWith('.jpg'))
    .sort()) {
    const jpeg = new Uint8Array(await Bun.file(join(COCO, f)).arrayBuffer());
    const meta = await sharp(jpeg).metadata();
    const out = await app.rt.detectOnce('objects', {}, jpeg);
    for (const d of out.detections) {
      const c = classOf(d.label);
      if (!c || d.score < 0.35) continue;
      const [x1, y1, x2, y2] = d.box as [number, number, number, number];
      const mx = (x2 - x1) * 0.1;
      const my = (y2 - y1) * 0.1;
      const left = Math.max(0, Math.floor(x1 - mx));
      const top = Math.max(0, Math.floor(y1 - my));
      const width = Math.min(meta.width! - left, Math.ceil(x2 - x1 + 2 * mx));
      const height = Math.min(meta.height! - top, Math.ceil(y2 - y1 + 2 * my));
      if (width < 32 || height < 32) continue;
      const crop = await sharp(jpeg).extract({ left, top, width, height }).jpeg({ quality: 90 }).toBuffer();
      const t = performance.now();
      const x = await app.rt.embedder.embed(new Uint8Array(crop));
      embedMs.push(performance.now() - t);
      crops.push({ x, y: CLASSES.indexOf(c as (typeof CLASSES)[number]) });
    }
  }
  const counts = CLASSES.map((_, c) => crops.filter((e) => e.y === c).length);
  const out: string[] = [
    row([
      `${crops.length} crops`,
      `per class (${CLASSES.join(', ')})`,
      counts.join(' / '),
      '',
      `from ${readdirSync(COCO).length} COCO photos, detector score ≥ 0.35, ≥ 32 px`,
    ]),
  ];
  for (const n of [5, 10, 20]) {
    const usable = CLASSES.map((_, c) => c).filter((c) => counts[c]! >= n + 3);
    if (usable.length < 2) continue;
    const accs: number[] = [];
    const times: number[] = [];
    const perClass = usable.map(() => [0, 0]);
    for (let draw = 0; draw < 10; draw++) {
      const r = rng(1000 + draw);
      const pick: number[] = [];
      for (const c of usable) {
        const idx = crops.map((e, i) => (e.y === c ? i : -1)).filter((i) => i >= 0);
        for (let i = idx.length - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1));
          [idx[i], idx[j]] = [idx[j]!, idx[i]!];
        }
        pick.push(...idx.slice(0, n));
      }
      const chosen = new Set(pick);
      const t = performance.now();
      const head = train(
        pick.map((i) => crops[i]!.x),
        pick.map((i) => usable.indexOf(crops[i]!.y)),
        usable.map((c) => CLASSES[c]!),
      );
      times.push(performance.now() - t);
      let right = 0;
      let total = 0;
      crops.forEach((e, i) => {
        const k = usable.indexOf(e.y);
        if (chosen.has(i) || k < 0) return;
        const ok = argmax(predict(head, e.x)) === k;
        right += ok ? 1 : 0;
        total++;
        perClass[k]![0]! += ok ? 1 : 0;
        perClass[k]![1]!++;
      });
      accs.push(right / total);
    }
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    out.push(
      row([
        `${n} per class`,
        `accuracy on the held-out crops (${usable.map((c) => CLASSES[c]).join(', ')})`,
        `${(mean * 100).toFixed(1)} %`,
        `train ${ms(median(times))} ms`,
        `10 draws, min ${(Math.min(...accs) * 100).toFixed(1)} %; per class ${usable
          .map((c, k) => `${CLASSES[c]} ${((perClass[k]![0]! / perClass[k]![1]!) * 100).toFixed(0)} %`)
          .join(', ')}`,
      ]),
    );
  }
  // 1,000 examples: the real crops, repeated with a little noise, four classes.
  const r = rng(7);
  const big = Array.from({ length: 1000 }, (_, i) => {
    const e = crops[i % crops.length]!;
    const v = Float32Array.from(e.x, (a) => a + (r() - 0.5) * 0.01);
    const norm = Math.hypot(...v);
    return { x: v.map((a) => a / norm), y: e.y };
  });
  const bigTimes: number[] = [];
  let head = train([big[0]!.x, big[1]!.x], [0, 1], ['a', 'b'], { l2: 1e-3, iterations: 1 });
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    head = train(
      big.map((e) => e.x),
      big.map((e) => e.y),
      [...CLASSES],
    );
    bigTimes.push(performance.now() - t);
  }
  out.push(row(['1,000 examples', 'train (400 steps, 5 classes)', `${ms(median(bigTimes))} ms`, '', '3 runs']));
  const session = await ort.InferenceSession.create(headOnnx(head, {}));
  const headMs: number[] = [];
  for (const e of crops.slice(0, 200)) {
    const t = performance.now();
    await session.run({ embedding: new ort.Tensor('float32', e.x, [1, e.x.length]) });
    headMs.push(performance.now() - t);
  }
  await session.release();
  out.push(
    row([
      'per crop',
      'the head (onnxruntime) / the embedding it needs',
      `${ms(median(headMs))} / ${ms(median(embedMs))} ms`,
      `${ms(percentile(headMs, 95))} / ${ms(percentile(embedMs, 95))} ms`,
      'p50 / p95',
    ]),
  );
  return out;
}
