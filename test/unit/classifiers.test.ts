/**
 * Classifiers trained on the box (issue 33), pure parts: the linear head learns separable classes,
 * and the weights it learns are the same each time; k-fold evaluation holds out every example once,
 * stratified, and its confusion matrix, precision and recall add up; the ONNX file of a head runs in
 * onnxruntime and gives the head's own probabilities.
 */
import { describe, expect, test } from 'bun:test';
import * as ort from 'onnxruntime-node';
import { argmax, predict, train } from '../../appliance/classifiers/train';
import { crossValidate, foldsOf, summarise } from '../../appliance/classifiers/metrics';
import { headOnnx, onnxMetadata } from '../../appliance/classifiers/onnx';

/** Deterministic points around `k` unit-length centres in `dims`, each normalised as embeddings are. */
function clusters(k: number, perClass: number, dims: number, noise: number, seed = 7) {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const centres = Array.from({ length: k }, () => Array.from({ length: dims }, rand));
  const x: Float32Array[] = [];
  const y: number[] = [];
  for (let c = 0; c < k; c++)
    for (let i = 0; i < perClass; i++) {
      const v = centres[c]!.map((m) => m + noise * rand());
      const n = Math.hypot(...v);
      x.push(Float32Array.from(v, (e) => e / n));
      y.push(c);
    }
  return { x, y };
}

describe('linear head', () => {
  test('learns separable classes, and the same examples give the same weights', () => {
    const { x, y } = clusters(3, 20, 64, 0.6);
    const classes = ['a', 'b', 'c'];
    const h = train(x, y, classes);
    const right = x.filter((v, i) => argmax(predict(h, v)) === y[i]).length;
    expect(right).toBe(60);
    expect(Array.from(train(x, y, classes).weights)).toEqual(Array.from(h.weights));
    const p = predict(h, x[0]!);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(() => train(x, y, ['one'])).toThrow('two classes');
    expect(() => train([], [], classes)).toThrow('none');
  });
});

describe('evaluation', () => {
  test('stratified folds: each class spread over every fold', () => {
    const y = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2];
    const f = foldsOf(y, 3);
    for (const c of [0, 1, 2]) {
      const folds = new Set(y.flatMap((v, i) => (v === c ? [f[i]] : [])));
      expect(folds.size).toBe(Math.min(3, y.filter((v) => v === c).length));
    }
    expect(foldsOf(y, 3)).toEqual(f);
  });

  test('k-fold holds out every example once; the confusion matrix gives accuracy, precision and recall', () => {
    const { x, y } = clusters(3, 10, 32, 3.5, 11);
    const e = crossValidate(x, y, ['a', 'b', 'c'], 5);
    expect(e.folds).toBe(5);
    expect(e.confusion.flat().reduce((a, b) => a + b, 0)).toBe(30);
    expect(e.confusion.map((r) => r.reduce((a, b) => a + b, 0))).toEqual([10, 10, 10]);
    expect(e.accuracy).toBeGreaterThan(0.5);
    // Fewer examples in the smallest class than folds asked: the folds follow the class.
    expect(crossValidate(x.slice(0, 23), y.slice(0, 23), ['a', 'b', 'c'], 10).folds).toBe(3);
    expect(
      summarise(
        [
          [3, 1],
          [0, 4],
        ],
        ['x', 'y'],
        2,
      ),
    ).toEqual({
      folds: 2,
      accuracy: 7 / 8,
      classes: [
        { name: 'x', examples: 4, precision: 1, recall: 0.75 },
        { name: 'y', examples: 4, precision: 0.8, recall: 1 },
      ],
      confusion: [
        [3, 1],
        [0, 4],
      ],
    });
    expect(
      summarise(
        [
          [2, 0],
          [1, 0],
        ],
        ['x', 'y'],
        2,
      ).classes[1]!.precision,
    ).toBeNull();
  });
});

describe('ONNX', () => {
  test("the head's file runs in onnxruntime and gives the head's probabilities; its metadata names the classes and the embedder", async () => {
    const { x, y } = clusters(4, 8, 1280, 0.8, 3);
    const h = train(x, y, ['cat', 'dog', 'person', 'vehicle'], { l2: 1e-3, iterations: 100 });
    const bytes = headOnnx(h, { embedding_model: 'mobilenetv2-embed@1', embedding_sha256: 'ab'.repeat(32) });
    const session = await ort.InferenceSession.create(bytes);
    const batch = new Float32Array(3 * 1280);
    for (let i = 0; i < 3; i++) batch.set(x[i * 9]!, i * 1280);
    const out = await session.run({ embedding: new ort.Tensor('float32', batch, [3, 1280]) });
    const probs = out.probs!.data as Float32Array;
    const want = [0, 9, 18].flatMap((i) => Array.from(predict(h, x[i]!)));
    expect(session.inputNames).toEqual(['embedding']);
    expect(Array.from(probs).map((v, i) => Math.abs(v - want[i]!) < 1e-5)).toEqual(want.map(() => true));
    expect(onnxMetadata(bytes)).toEqual({
      embedding_model: 'mobilenetv2-embed@1',
      embedding_sha256: 'ab'.repeat(32),
      classes: '["cat","dog","person","vehicle"]',
    });
    await session.release();
  });
});

describe('state hysteresis', () => {
  test('a state is taken after `confirm` agreeing looks at min_score or more; one doubtful look flips nothing', async () => {
    const { StateMachine } = await import('../../appliance/pipeline/state-machine');
    const m = new StateMachine(2, 0.6);
    const seen = (
      [
        ['away', 0.9],
        ['away', 0.8],
        ['at', 0.95],
        ['away', 0.7],
        ['at', 0.9],
        ['at', 0.5],
        ['at', 0.9],
        ['at', 0.9],
        ['at', 0.99],
      ] as const
    ).map(([s, p]) => m.see(s, p));
    expect(seen).toEqual([
      null,
      { state: 'away', previous: null, score: 0.8 },
      null,
      null,
      null,
      null,
      null,
      { state: 'at', previous: 'away', score: 0.9 },
      null,
    ]);
    expect(m.state).toBe('at');
  });
});
