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
