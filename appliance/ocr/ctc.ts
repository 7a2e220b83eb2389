/**
 * @module Greedy CTC decoding of a text recogniser's per-step class probabilities, as PaddleOCR's
 * CTCLabelDecode: the best class at each step, repeats merged, the blank (class 0) dropped. Class i
 * (from 1) is the charset's character i - 1; one more class past the charset is a space. The line's
 * score is the mean probability of the characters kept. Pure.
 */

export interface Reading {
  text: string;
  score: number;
}

export function ctcGreedy(probs: Float32Array, steps: number, classes: number, charset: readonly string[]): Reading {
  if (probs.length < steps * classes) throw new Error(`${steps} steps of ${classes} classes need more values`);
  let text = '';
  let sum = 0;
  let kept = 0;
  let last = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let p = probs[t * classes]!;
    for (let c = 1; c < classes; c++) {
      const v = probs[t * classes + c]!;
      if (v > p) {
        p = v;
        best = c;
      }
    }
    if (best !== 0 && best !== last) {
      text += best <= charset.length ? charset[best - 1]! : ' ';
      sum += p;
      kept++;
    }
    last = best;
  }
  return { text, score: kept ? sum / kept : 0 };
}
