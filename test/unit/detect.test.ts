import { describe, expect, test } from 'bun:test';
import { iou, nms } from '../../appliance/inference/detect/nms';
import { decodeYolox } from '../../appliance/inference/detect/yolox';
import {
  letterboxOf,
  pictureRegion,
  stretchOf,
  toInput,
  unletterbox,
  type Detection,
} from '../../appliance/inference/detect/types';

const det = (classId: number, score: number, box: [number, number, number, number]): Detection => ({
  label: String(classId),
  classId,
  score,
  box,
});

describe('nms', () => {
  test('iou of identical, disjoint and half-overlapping boxes', () => {
    expect([
      iou([0, 0, 10, 10], [0, 0, 10, 10]),
      iou([0, 0, 10, 10], [20, 20, 30, 30]),
      iou([0, 0, 10, 10], [5, 0, 15, 10]),
    ]).toEqual([1, 0, 1 / 3]);
  });

  test('suppresses overlapping boxes of one class only, best first', () => {
    const out = nms(
      [
        det(0, 0.5, [0, 0, 10, 10]),
        det(0, 0.9, [1, 1, 11, 11]),
        det(1, 0.8, [0, 0, 10, 10]),
        det(0, 0.7, [50, 50, 60, 60]),
      ],
      0.45,
    );
    expect(out.map((d) => [d.classId, d.score])).toEqual([
      [0, 0.9],
      [1, 0.8],
      [0, 0.7],
    ]);
  });
});

describe('letterbox', () => {
  test('a 768x432 frame in 416x416 top-left: ratio and the inverse mapping', () => {
    const lb = letterboxOf(768, 432, 416, 416, 'top-left');
    expect([lb.ratio, unletterbox([0, 0, 208, 117], lb).map((v) => +v.toFixed(6))]).toEqual([
      416 / 768,
      [0, 0, 384, 216],
    ]);
  });

  test('centred padding is subtracted before scaling back', () => {
    const lb = letterboxOf(640, 320, 320, 320, 'center');
    expect([lb.padX, lb.padY, unletterbox([0, 80, 320, 240], lb)]).toEqual([0, 80, [0, 0, 640, 320]]);
  });
});

describe('decodeYolox', () => {
  test('one confident anchor decodes to its box in source pixels; the rest are dropped', () => {
    // Input 64x64 with strides 32 and 64: grids 2x2 + 1x1 = 5 anchors, 2 classes.
    const n = 5;
    const out = new Float32Array(n * 7);
    // Anchor 3 = stride 32, grid (1, 1): centre (1.5*32, 1.5*32) = (48, 48), w = h = e^0 * 32.
    out.set([0.5, 0.5, 0, 0, 0.9, 0.1, 0.8], 3 * 7);
    out.set([0, 0, 0, 0, 0.2, 0.9, 0.9], 4 * 7); // below threshold after obj x cls
    const lb = letterboxOf(128, 128, 64, 64, 'top-left');
    const dets = decodeYolox(out, [1, n, 7], lb, {
      inputWidth: 64,
      inputHeight: 64,
      strides: [32, 64],
      scoreThreshold: 0.3,
      nmsIou: 0.45,
      labels: ['a', 'b'],
    });
    expect(dets.map((d) => ({ ...d, score: +d.score.toFixed(3) }))).toEqual([
      { label: 'b', classId: 1, score: 0.72, box: [64, 64, 128, 128] },
    ]);
  });

  test('a grid that does not match the output size is an error', () => {
    expect(() =>
      decodeYolox(new Float32Array(7), [1, 1, 7], letterboxOf(64, 64, 64, 64, 'top-left'), {
        inputWidth: 64,
        inputHeight: 64,
        strides: [32],
        scoreThreshold: 0.5,
        nmsIou: 0.5,
        labels: [],
      }),
    ).toThrow('cover 4 anchors, the output has 1');
  });
});

describe('stretch geometry', () => {
  test('boxes map back with separate x and y scales, and toInput inverts unletterbox', () => {
    const lb = stretchOf(768, 432, 416, 416);
    const box: [number, number, number, number] = [100, 50, 300, 400];
    expect([unletterbox(toInput(box, lb), lb).map((v) => +v.toFixed(6)), pictureRegion(lb, 416, 416)]).toEqual([
      box,
      { left: 0, top: 0, width: 416, height: 416 },
    ]);
  });
});

import { decodeNanodet, distance } from '../../appliance/inference/detect/nanodet';

describe('decodeNanodet', () => {
  test('the distance is the softmax expectation over the bins', () => {
    const v = new Float32Array(8).fill(-100);
    v[3] = 100;
    expect([distance(v, 0, 8), +distance(new Float32Array(8), 0, 8).toFixed(6)]).toEqual([3, 3.5]);
  });

  test('one confident cell decodes to a box around its centre, in source pixels, clamped to the input', () => {
    // 32x32 input, stride 16: a 2x2 grid; cell 3 is (1, 1), centre (24, 24) as the legacy head has
    // it; every side = 0.5 bins x 16, so x2 and y2 (32) sit on the input's edge.
    const cls = new Float32Array(4 * 2);
    cls[3 * 2 + 1] = 0.9;
    const dis = new Float32Array(4 * 4 * 2);
    const out = {
      cls_pred_stride_16: { data: cls, dims: [1, 4, 2] },
      dis_pred_stride_16: { data: dis, dims: [1, 4, 8] },
    };
    const dets = decodeNanodet(
      out,
      { ratio: 1, padX: 0, padY: 0, srcWidth: 32, srcHeight: 32 },
      { inputWidth: 32, inputHeight: 32, strides: [16], bins: 2, scoreThreshold: 0.5, nmsIou: 0.6, labels: ['a', 'b'] },
    );
    expect(dets.map((d) => ({ ...d, score: +d.score.toFixed(3) }))).toEqual([
      { label: 'b', classId: 1, score: 0.9, box: [16, 16, 32, 32] },
    ]);
  });

  test('every class above the threshold is a candidate of its anchor, each kept by class-wise NMS', () => {
    const cls = new Float32Array(4 * 2);
    cls[0] = 0.7;
    cls[1] = 0.6;
    cls[2] = 0.4;
    const dis = new Float32Array(4 * 4 * 2);
    const dets = decodeNanodet(
      { cls_pred_stride_16: { data: cls, dims: [1, 4, 2] }, dis_pred_stride_16: { data: dis, dims: [1, 4, 8] } },
      { ratio: 1, padX: 0, padY: 0, srcWidth: 32, srcHeight: 32 },
      { inputWidth: 32, inputHeight: 32, strides: [16], bins: 2, scoreThreshold: 0.5, nmsIou: 0.6, labels: ['a', 'b'] },
    );
    expect(dets.map((d) => [d.label, +d.score.toFixed(3), d.box])).toEqual([
      ['a', 0.7, [0, 0, 16, 16]],
      ['b', 0.6, [0, 0, 16, 16]],
    ]);
  });
});
