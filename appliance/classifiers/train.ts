/**
 * @module A linear head on embeddings: multinomial logistic regression with an L2 penalty, trained
 * by full-batch Nesterov-accelerated gradient descent. The loss is convex and smooth: the softmax
 * cross-entropy's curvature is at most 1/2 per unit of squared input length, so with the longest
 * input (the embedding and the bias's 1) the gradient's Lipschitz constant L is known, and the step
 * 1/L always descends. Deterministic: the same examples give the same weights. Pure.
 */

export interface LinearHead {
  /** Embedding length. */
  dims: number;
  /** Classes, in output order. */
  classes: string[];
  /** Weights, dims × classes, row-major (the MatMul's B). */
  weights: Float32Array;
  bias: Float32Array;
}

export interface TrainOptions {
  /** L2 penalty on the weights (not the bias). */
  l2: number;
  /** Gradient steps. */
  iterations: number;
}

export const TRAIN_DEFAULTS: TrainOptions = { l2: 1e-3, iterations: 400 };

/** Softmax of `z` in place. */
function softmax(z: Float64Array): void {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    z[i] = Math.exp(z[i]! - max);
    sum += z[i]!;
  }
  for (let i = 0; i < z.length; i++) z[i]! /= sum;
}

/** Class probabilities of one embedding. */
export function predict(h: LinearHead, x: ArrayLike<number>): Float64Array {
  const k = h.classes.length;
  const z = new Float64Array(k);
  for (let c = 0; c < k; c++) z[c] = h.bias[c]!;
  for (let j = 0; j < h.dims; j++) {
    const xj = x[j]!;
    if (xj === 0) continue;
    const row = j * k;
    for (let c = 0; c < k; c++) z[c]! += xj * h.weights[row + c]!;
  }
  softmax(z);
  return z;
}

/** The class index of the highest probability. */
export const argmax = (p: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
};

/**
 * Fit the head on examples `x` (each of length `dims`) with class indices `y` into `classes`.
 * Every class needs at least one example.
 */
export function train(
  x: ArrayLike<number>[],
  y: number[],
  classes: string[],
  o: TrainOptions = TRAIN_DEFAULTS,
): LinearHead {
  const n = x.length;
  const k = classes.length;
  if (n === 0 || n !== y.length) throw new Error('train: examples and labels differ in number, or there are none');
  if (k < 2) throw new Error('train: a classifier needs two classes or more');
  const dims = x[0]!.length;
  const p = dims * k + k;
  // theta = [W (dims × k) | b (k)]; v: the look-ahead point of Nesterov's method.
  let theta = new Float64Array(p);
  let prev = new Float64Array(p);
  const v = new Float64Array(p);
  const grad = new Float64Array(p);
  const z = new Float64Array(k);
  let longest = 0;
  for (const xs of x) {
    let sq = 1;
    for (let j = 0; j < dims; j++) sq += xs[j]! * xs[j]!;
    longest = Math.max(longest, sq);
  }
  const step = 1 / (0.5 * longest + o.l2);
  for (let t = 1; t <= o.iterations; t++) {
    const mom = (t - 1) / (t + 2);
    for (let i = 0; i < p; i++) v[i] = theta[i]! + mom * (theta[i]! - prev[i]!);
    grad.fill(0);
    for (let s = 0; s < n; s++) {
      const xs = x[s]!;
      for (let c = 0; c < k; c++) z[c] = v[dims * k + c]!;
      for (let j = 0; j < dims; j++) {
        const xj = xs[j]!;
        if (xj === 0) continue;
        const row = j * k;
        for (let c = 0; c < k; c++) z[c]! += xj * v[row + c]!;
      }
      softmax(z);
      z[y[s]!]! -= 1;
      for (let j = 0; j < dims; j++) {
        const xj = xs[j]!;
        if (xj === 0) continue;
        const row = j * k;
        for (let c = 0; c < k; c++) grad[row + c]! += xj * z[c]!;
      }
      for (let c = 0; c < k; c++) grad[dims * k + c]! += z[c]!;
    }
    for (let i = 0; i < p; i++) grad[i]! /= n;
    for (let i = 0; i < dims * k; i++) grad[i]! += o.l2 * v[i]!;
    const next = prev;
    for (let i = 0; i < p; i++) next[i] = v[i]! - step * grad[i]!;
    prev = theta;
    theta = next;
  }
  return {
    dims,
    classes: [...classes],
    weights: Float32Array.from(theta.subarray(0, dims * k)),
    bias: Float32Array.from(theta.subarray(dims * k)),
  };
}
