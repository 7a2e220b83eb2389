/** The motion detector on synthetic frames: a still scene, a moving square, a mask, noise, a global change. */
import { describe, expect, test } from 'bun:test';
import { MOTION_DEFAULTS, MotionDetector } from '../../appliance/motion/detector';

const W = 640;
const H = 360;

/** A grey BGR frame with a bright square at (x, y) of side s (pixels), and optional noise. */
function frame(square: [number, number, number] | null, base = 60, noise = 0, seed = 1): Uint8Array {
  const px = new Uint8Array(W * H * 3).fill(base);
  let r = seed;
  if (noise)
    for (let i = 0; i < px.length; i++) {
      r = (r * 1103515245 + 12345) & 0x7fffffff;
      px[i] = Math.max(0, Math.min(255, base + ((r % (2 * noise + 1)) - noise)));
    }
  if (square) {
    const [x, y, s] = square;
    for (let yy = y; yy < y + s; yy++)
      for (let xx = x; xx < x + s; xx++) px.fill(220, (yy * W + xx) * 3, (yy * W + xx) * 3 + 3);
  }
  return px;
}

describe('MotionDetector', () => {
  test('a still scene has no motion; a square appearing is one box where it is', () => {
    const m = new MotionDetector();
    expect(m.detect(frame(null), W, H)).toEqual({ boxes: [], share: 0, reset: false });
    expect(m.detect(frame(null), W, H).boxes).toEqual([]);
    const r = m.detect(frame([320, 180, 64]), W, H);
    expect(r.reset).toBe(false);
    expect(r.boxes.length).toBe(1);
    const [x0, y0, x1, y1] = r.boxes[0]!.box;
    // Within a couple of grey-copy pixels (blur and growth) of the square's true place.
    expect([x0, y0, x1, y1].map((v, i) => Math.abs(v - [0.5, 0.5, 0.6, 0.678][i]!) < 0.02)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  test('sensor noise below the threshold is not motion; a masked area is ignored', () => {
    const noisy = new MotionDetector();
    noisy.detect(frame(null, 60, 8, 1), W, H);
    expect(noisy.detect(frame(null, 60, 8, 2), W, H).boxes).toEqual([]);
    const masked = new MotionDetector({
      ...MOTION_DEFAULTS,
      masks: [
        [
          [0.4, 0.4],
          [0.8, 0.4],
          [0.8, 0.8],
          [0.4, 0.8],
        ],
      ],
    });
    masked.detect(frame(null), W, H);
    expect(masked.detect(frame([320, 180, 64]), W, H).boxes).toEqual([]);
    // Outside the mask it still sees.
    expect(masked.detect(frame([32, 32, 64]), W, H).boxes.length).toBe(1);
  });

  test('the lights go on (most of the picture changes): a reset, not motion; the new scene is then still', () => {
    const m = new MotionDetector();
    m.detect(frame(null, 60), W, H);
    const r = m.detect(frame(null, 160), W, H);
    expect([r.reset, r.boxes, r.share]).toEqual([true, [], 1]);
    expect(m.detect(frame(null, 160), W, H)).toEqual({ boxes: [], share: 0, reset: false });
  });

  test('a thing that stays becomes the background as the average follows the scene', () => {
    const m = new MotionDetector({ ...MOTION_DEFAULTS, alpha: 0.2 });
    m.detect(frame(null), W, H);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) seen.push(m.detect(frame([320, 180, 64]), W, H).boxes.length);
    expect([seen[0], seen.at(-1)]).toEqual([1, 0]);
  });
});

describe('motion@1', () => {
  test('puts each frame’s motion in its outputs under the stage name; the registry knows it', async () => {
    const { Value } = await import('@sinclair/typebox/value');
    const { motionStage } = await import('../../appliance/pipeline/stages/motion');
    const { lookupStage } = await import('../../appliance/pipeline/registry');
    const { emptyFrame } = await import('../../appliance/pipeline/types');
    expect(lookupStage('motion')?.version).toBe(1);
    const opts = Value.Default(motionStage.options, {}) as never;
    const stage = await motionStage.create(opts, { stage: 'moves' } as never);
    // The picture is the frame's top part (a letterbox with 40 px of padding below): boxes come back in source pixels.
    const lb = { ratio: 0.5, padX: 0, padY: 0, srcWidth: W * 2, srcHeight: (H - 40) * 2 };
    const f = (px: Uint8Array) =>
      emptyFrame({
        stream: 's',
        seq: 0,
        ptsS: 0,
        decodedAt: 0,
        width: W,
        height: H,
        pixfmt: 'bgr24',
        pixels: px,
        letterbox: lb,
      });
    await stage.run(f(frame(null)));
    const moving = f(frame([320, 180, 64]));
    await stage.run(moving);
    const boxes = (moving.outputs.moves as { boxes: Array<{ box: number[] }> }).boxes;
    expect(boxes.length).toBe(1);
    // The square at (320..384, 180..244) of the frame is at twice that in the source, within the blur.
    expect(boxes[0]!.box.map((v, i) => Math.abs(v - [640, 360, 768, 488][i]!) <= 8)).toEqual([true, true, true, true]);
  });
});
