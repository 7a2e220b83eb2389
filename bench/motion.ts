/**
 * @module bench motion: what `motion@1` costs per frame on this CPU, against the bare baseline of
 * only making the same small grey copy with sharp (the image library's resize to 320 px grey).
 * Frames are the model input of a 416x234 stream with a moving square, 500 of them after 50 to warm.
 */
import sharp from 'sharp';
import { MotionDetector } from '../appliance/motion/detector';
import { median, ms, percentile, row } from './lib/stats';

const W = 416;
const H = 234;

export async function motionBench(): Promise<string[]> {
  const frames = Array.from({ length: 50 }, (_, k) => {
    const px = new Uint8Array(W * H * 3).fill(60);
    for (let y = 100; y < 160; y++)
      for (let x = 50 + k * 4; x < 110 + k * 4; x++) px.fill(220, (y * W + x) * 3, (y * W + x) * 3 + 3);
    return px;
  });
  const m = new MotionDetector();
  for (const f of frames) m.detect(f, W, H);
  const ours: number[] = [];
  const bare: number[] = [];
  // Apart: sharp's worker threads would otherwise share the cores with the detector's loop.
  for (let r = 0; r < 10; r++)
    for (const f of frames) {
      const t = performance.now();
      m.detect(f, W, H);
      ours.push(performance.now() - t);
    }
  for (let r = 0; r < 10; r++)
    for (const f of frames) {
      const t = performance.now();
      await sharp(f, { raw: { width: W, height: H, channels: 3 } })
        .greyscale()
        .resize(320)
        .raw()
        .toBuffer();
      bare.push(performance.now() - t);
    }
  return [
    row([
      '416x234 → 320 grey',
      '(a) bare: sharp greyscale + resize only',
      ms(median(bare)),
      ms(percentile(bare, 95)),
      '',
    ]),
    row([
      '416x234 → 320 grey',
      '(b) motion@1: grey copy, blur, diff, boxes',
      ms(median(ours)),
      ms(percentile(ours, 95)),
      'target ≤ 1 ms',
    ]),
  ];
}
