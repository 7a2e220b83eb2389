/**
 * @module How good a head is before anyone saves it: stratified k-fold cross-validation (each
 * class's examples dealt round-robin to the folds, in a seeded order), the confusion matrix of the
 * held-out predictions, accuracy, and per-class precision and recall. Pure.
 */
import { argmax, predict, train, type LinearHead, type TrainOptions } from './train';

export interface Evaluation {
  folds: number;
  accuracy: number;
  /** Per class, in the head's order: precision (null when the class was never predicted) and recall. */
  classes: Array<{ name: string; examples: number; precision: number | null; recall: number }>;
  /** confusion[actual][predicted]: held-out examples. */
  confusion: number[][];
}

/** A small seeded generator (mulberry32), so folds are the same each time. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fold of each example: stratified, in a seeded order. */
export function foldsOf(y: number[], k: number, seed = 1): number[] {
  const r = rng(seed);
  const fold = new Array<number>(y.length).fill(0);
  const byClass = new Map<number, number[]>();
  for (const [i, c] of y.entries()) byClass.set(c, [...(byClass.get(c) ?? []), i]);
  let next = 0;
  for (const idx of byClass.values()) {
    // Fisher-Yates with the seeded generator.
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    // Continue dealing where the last class stopped, so small classes do not all start in fold 0.
    for (const i of idx) fold[i] = next++ % k;
  }
  return fold;
}

/** The confusion matrix's summary. */
export function summarise(confusion: number[][], classes: string[], folds: number): Evaluation {
  let right = 0;
  let total = 0;
  const out = classes.map((name, c) => {
    const actual = confusion[c]!.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c]!, 0);
    right += confusion[c]![c]!;
    total += actual;
    return {
      name,
      examples: actual,
      precision: predicted ? confusion[c]![c]! / predicted : null,
      recall: actual ? confusion[c]![c]! / actual : 0,
    };
  });
  return { folds, accuracy: total ? right / total : 0, classes: out, confusion };
}

/**
 * k-fold cross-validation: train on k−1 folds, predict the held-out one, for each fold. `k` is
 * lowered to the smallest class's size (each fold must be able to hold out one of each class); a
 * class with one example cannot be validated and the caller refuses that first.
 */
export function crossValidate(
  x: ArrayLike<number>[],
  y: number[],
  classes: string[],
  k: number,
  o?: TrainOptions,
): Evaluation {
  const smallest = Math.min(...classes.map((_, c) => y.filter((v) => v === c).length));
  const folds = Math.max(2, Math.min(k, smallest));
  const fold = foldsOf(y, folds);
  const confusion = classes.map(() => classes.map(() => 0));
  for (let f = 0; f < folds; f++) {
    const trainIdx = y.map((_, i) => i).filter((i) => fold[i] !== f);
    const head: LinearHead = train(
      trainIdx.map((i) => x[i]!),
      trainIdx.map((i) => y[i]!),
      classes,
      o,
    );
    y.forEach((actual, i) => {
      if (fold[i] === f) confusion[actual]![argmax(predict(head, x[i]!))]!++;
    });
  }
  return summarise(confusion, classes, folds);
}
