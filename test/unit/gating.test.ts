/**
 * Motion gating's pure parts: regions around motion, a region fitted into the model input and mapped
 * back, the stream's counts, and the gated detect stage (the tracker's part is in pipeline-parts).
 */
import { describe, expect, test } from 'bun:test';
import { planRegions, REGION_DEFAULTS } from '../../appliance/motion/regions';
import { fitRegion, regionLetterbox } from '../../appliance/inference/fit';
import { letterboxOf, toInput, unletterbox } from '../../appliance/inference/detect/types';
import { GatingCounts } from '../../appliance/pipeline/gating';
import { detectStage } from '../../appliance/pipeline/stages/detect';
import { emptyFrame } from '../../appliance/pipeline/types';
import { LABELS } from '../../appliance/pipeline/models';
import { builtinCatalog, findModel } from '../../appliance/models/catalog';
import { Value } from '@sinclair/typebox/value';

describe('planRegions', () => {
  const o = { ...REGION_DEFAULTS, side: 416 };
  test('a small motion box gets one model-sized square around it, inside the frame', () => {
    expect(planRegions([[100, 100, 140, 180]], 1664, 936, o)).toEqual([{ x: 0, y: 0, w: 416, h: 416 }]);
    expect(planRegions([[800, 400, 840, 480]], 1664, 936, o)).toEqual([{ x: 612, y: 232, w: 416, h: 416 }]);
  });

  test('a big box gets a region larger than the model, with a margin; boxes inside one region add none', () => {
    const r = planRegions(
      [
        [600, 300, 1000, 700],
        [700, 400, 720, 420],
      ],
      1664,
      936,
      o,
    );
    expect(r).toEqual([{ x: 500, y: 200, w: 600, h: 600 }]);
  });

  test('far apart boxes are two regions; mostly overlapping ones are merged into one', () => {
    expect(
      planRegions(
        [
          [10, 10, 30, 30],
          [1600, 900, 1620, 920],
        ],
        1664,
        936,
        o,
      )?.length,
    ).toBe(2);
    expect(
      planRegions(
        [
          [300, 300, 320, 320],
          [400, 300, 420, 320],
        ],
        1664,
        936,
        o,
      ),
    ).toEqual([{ x: 102, y: 102, w: 416, h: 416 }]);
    expect(
      planRegions(
        [
          [100, 100, 500, 500],
          [550, 100, 620, 200],
        ],
        1664,
        936,
        o,
      ),
    ).toEqual([{ x: 0, y: 0, w: 793, h: 600 }]);
  });

  test('no boxes: none; too many or too much of the frame, or a frame no larger than the model: the whole frame (null)', () => {
    expect(planRegions([], 1664, 936, o)).toEqual([]);
    const scattered = [50, 800, 1500].flatMap((x) =>
      [50, 800].map((y): [number, number, number, number] => [x, y, x + 10, y + 10]),
    );
    expect(planRegions(scattered, 1664, 936, o)).toBeNull();
    expect(planRegions([[0, 0, 900, 900]], 1664, 936, o)).toBeNull();
    expect(planRegions([[10, 10, 20, 20]], 416, 416, o)).toBeNull();
  });
});

describe('fitRegion', () => {
  test('a region at the model size is copied pixel for pixel; a larger one is scaled and padded', () => {
    const w = 8;
    const h = 4;
    const src = new Uint8Array(w * h * 3).map((_, i) => (Math.floor(i / 3) % w) * 10 + Math.floor(i / 3 / w));
    const same = fitRegion(src, w, h, { x: 4, y: 0, w: 4, h: 4 }, { width: 4, height: 4, align: 'top-left', pad: 114 });
    expect(same.scale).toBe(1);
    expect(Array.from(same.pixels.filter((_, i) => i % 3 === 0))).toEqual([
      40, 50, 60, 70, 41, 51, 61, 71, 42, 52, 62, 72, 43, 53, 63, 73,
    ]);
    const whole = fitRegion(
      src,
      w,
      h,
      { x: 0, y: 0, w: 8, h: 4 },
      { width: 4, height: 4, align: 'top-left', pad: 114 },
    );
    expect(whole.scale).toBe(0.5);
    // The lower half is padding; the upper half averages pixel pairs.
    expect(Array.from(whole.pixels.slice(24))).toEqual(new Array(24).fill(114));
    expect(whole.pixels[0]).toBe(6);
  });

  test("a box found in a region maps back to the source through the region and the frame's letterbox", () => {
    // A 1920x1080 camera decoded at 832x468; a 416 region at (300, 40).
    const frame = letterboxOf(1920, 1080, 832, 468, 'top-left');
    const r = { x: 300, y: 40, w: 416, h: 416 };
    const lb = regionLetterbox(frame, r, { scale: 1, offsetX: 0, offsetY: 0 });
    const src: [number, number, number, number] = [900, 300, 1000, 500];
    const inDecode = toInput(src, frame);
    const inModel: [number, number, number, number] = [
      inDecode[0] - 300,
      inDecode[1] - 40,
      inDecode[2] - 300,
      inDecode[3] - 40,
    ];
    expect(unletterbox(inModel, lb).map((v) => Math.round(v))).toEqual(src);
  });
});

describe('GatingCounts', () => {
  test('counts motion, skips, regions and calls; nothing gated is null', () => {
    const c = new GatingCounts();
    expect(c.view()).toBeNull();
    c.add({ gate: { motion: false, detector: 'skipped', regions: 0 } });
    c.add({ gate: { motion: false, detector: 'skipped', regions: 0 } });
    c.add({ gate: { motion: true, detector: 'regions', regions: 2 }, stationary: 1 });
    c.add({ gate: { motion: false, detector: 'full', regions: 1 } });
    expect(c.view()).toEqual({
      frames_with_motion: 1,
      detector_skipped: 2,
      detector_regions: 1,
      detector_full: 1,
      detector_calls: 3,
      skipped_share: 0.5,
      regions_per_frame: 1.5,
      stationary: 1,
    });
  });
});

describe('detect@1 gated on motion (a fake model that counts its calls)', () => {
  /** The detect stage on a fake YOLOX session; `found` frames answer one person at (8..40, 8..40) of the model input. */
  async function gatedStage(o: Record<string, unknown>) {
    const entry = findModel(builtinCatalog(), 'yolox-nano@1');
    const calls: number[] = [];
    let found = false;
    const session = {
      async run() {
        calls.push(calls.length);
        const data = new Float32Array(3549 * 85);
        if (found) data.set([1, 1, Math.log(4), Math.log(4), 0.9, 0.9], 0);
        return { output: { data, dims: [1, 3549, 85] } };
      },
    };
    const options = Value.Default(detectStage.options, { motion: 'motion', ...o }) as never;
    const stage = await detectStage.create(options, {
      models: { get: async () => ({ entry, session, labels: LABELS.coco }) },
    } as never);
    return { stage, calls, setFound: (v: boolean) => (found = v) };
  }
  const frameOf = (w: number, h: number, boxes: Array<[number, number, number, number]>, reset = false) => {
    const f = emptyFrame({
      stream: 's',
      seq: 0,
      ptsS: 0,
      decodedAt: 0,
      width: w,
      height: h,
      pixfmt: 'bgr24',
      pixels: new Uint8Array(w * h * 3),
      letterbox: letterboxOf(w * 2, h * 2, w, h, 'top-left'),
    });
    f.outputs.motion = { boxes: boxes.map((box) => ({ box, pixels: 100 })), share: 0.01, reset };
    return f;
  };

  test('skips frames without motion, runs regions on motion, and the whole frame when a check is due or the scene reset', async () => {
    const { stage, calls } = await gatedStage({ stationary_interval: 5 });
    const gates: Array<[string, number, number]> = [];
    const step = async (f: ReturnType<typeof frameOf>) => {
      await stage.run(f);
      gates.push([f.gate!.detector, f.gate!.regions, calls.length]);
      return f;
    };
    await step(frameOf(832, 468, [])); // the first frame: the whole frame
    for (let i = 0; i < 3; i++) expect((await step(frameOf(832, 468, []))).looked).toEqual([]);
    // Motion at (200..240, 200..300) of the source (half that in the frame): one 416 region around it, in source pixels.
    const moving = await step(frameOf(832, 468, [[200, 200, 240, 300]]));
    expect(moving.looked).toEqual([[0, 0, 832, 832]]);
    await step(frameOf(832, 468, [])); // five frames since the whole one: due
    await step(frameOf(832, 468, [], true)); // a reset: the whole frame again
    expect(gates).toEqual([
      ['full', 1, 1],
      ['skipped', 0, 1],
      ['skipped', 0, 1],
      ['skipped', 0, 1],
      ['regions', 1, 2],
      ['full', 1, 3],
      ['full', 1, 4],
    ]);
  });

  test('something new keeps the detector on the whole frame for three more frames, though nothing moves', async () => {
    const { stage, calls, setFound } = await gatedStage({ stationary_interval: 100 });
    setFound(true);
    const kinds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const f = frameOf(416, 416, []);
      await stage.run(f);
      kinds.push(f.gate!.detector);
      if (i === 0) expect(f.detections.map((d) => d.label)).toEqual(['person']);
    }
    expect([kinds, calls.length]).toEqual([['full', 'full', 'full', 'full', 'skipped', 'skipped'], 4]);
  });
});
