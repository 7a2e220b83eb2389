import { fittedSize, resizeBilinear } from '../../appliance/imaging/resize';
import { describe, expect, test } from 'bun:test';
import { l2normalize, toTensor } from '../../appliance/inference/preprocess';

// A 2x1 image: pixel 0 = (255, 0, 51), pixel 1 = (0, 102, 255).
const rgb = new Uint8Array([255, 0, 51, 0, 102, 255]);

describe('toTensor', () => {
  test('NCHW RGB with ImageNet scale, mean and std gives exact values', () => {
    const t = toTensor(rgb, 2, 1, {
      layout: 'NCHW',
      color: 'RGB',
      scale: 1 / 255,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    const expected = [
      (1 - 0.485) / 0.229,
      (0 - 0.485) / 0.229,
      (0 - 0.456) / 0.224,
      (0.4 - 0.456) / 0.224,
      (0.2 - 0.406) / 0.225,
      (1 - 0.406) / 0.225,
    ];
    expect(Array.from(t).map((v) => +v.toFixed(5))).toEqual(expected.map((v) => +v.toFixed(5)));
  });

  test('NCHW BGR 0..255 (YOLOX) reorders channels without scaling', () => {
    const t = toTensor(rgb, 2, 1, { layout: 'NCHW', color: 'BGR', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(Array.from(t)).toEqual([51, 255, 0, 102, 255, 0]);
  });

  test('NHWC keeps pixels interleaved', () => {
    const t = toTensor(rgb, 2, 1, { layout: 'NHWC', color: 'BGR', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(Array.from(t)).toEqual([51, 0, 255, 255, 102, 0]);
  });

  test('a buffer of the wrong size is refused', () => {
    expect(() =>
      toTensor(rgb, 3, 1, { layout: 'NCHW', color: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] }),
    ).toThrow('expected 9 bytes');
  });
});

test('l2normalize gives a unit vector', () => {
  expect(Array.from(l2normalize(new Float32Array([3, 4])))).toEqual([0.6000000238418579, 0.800000011920929]);
});

describe('resizeBilinear (cv2.resize INTER_LINEAR)', () => {
  test('the same size is the same picture; a 2-pixel row doubled samples at (x + 0.5) / 2 - 0.5', () => {
    const src = Uint8Array.from([10, 20, 30, 50, 60, 70]);
    expect([...resizeBilinear(src, 2, 1, 3, 2, 1)]).toEqual([...src]);
    // Output x = 0..3 samples source x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    expect([...resizeBilinear(Uint8Array.from([0, 100]), 2, 1, 1, 4, 1)]).toEqual([0, 25, 75, 100]);
  });

  test('a shrink does not smooth: a third of a stripe pattern keeps the columns it lands on', () => {
    const stripes = Uint8Array.from({ length: 9 }, (_, i) => (i % 2 ? 255 : 0));
    // 9 -> 3 samples source columns 1, 4 and 7 exactly; a smoothing kernel would average three.
    expect([...resizeBilinear(stripes, 9, 1, 1, 3, 1)]).toEqual([255, 0, 255]);
    expect(fittedSize(640, 427, 416, 416)).toEqual({ width: 416, height: 277 });
  });
});
