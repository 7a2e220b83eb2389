/**
 * @module Synthetic embeddings with the structure of real ones: each vector lies near a
 * low-dimensional patch (LATENT dimensions) around one of CLUSTERS centres, plus a little
 * isotropic noise. Real MobileNetV2 embeddings of the shared photos and video frames have a local
 * intrinsic dimension (LID, the maximum-likelihood estimate over 20 neighbours) of about 4; these
 * have about 10-20; the bench's other generator, independent noise around 200 centres, about 150 —
 * a set in which the 10th neighbour is barely nearer than the 500th (see bench/README).
 * Deterministic: the same numbers on every run, from a seeded xorshift.
 */
export const CLUSTERS = 200;
export const LATENT = 16;

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

export class Manifold {
  private readonly centres: Float32Array;
  private readonly bases: Float32Array;

  constructor(
    readonly dims: number,
    readonly spread = 0.5,
    readonly noise = 0.05,
  ) {
    const rnd = xorshift(12345);
    this.centres = Float32Array.from({ length: CLUSTERS * dims }, rnd);
    this.bases = Float32Array.from({ length: CLUSTERS * LATENT * dims }, rnd);
  }

  /** Vectors i in [from, to), packed in one matrix: vector i is the same in every call. */
  rows(from: number, to: number): Float32Array {
    const d = this.dims;
    const m = new Float32Array((to - from) * d);
    for (let i = from; i < to; i++) {
      const rnd = xorshift(i * 2654435761 + 7);
      const c = i % CLUSTERS;
      const v = m.subarray((i - from) * d, (i - from + 1) * d);
      v.set(this.centres.subarray(c * d, (c + 1) * d));
      for (let l = 0; l < LATENT; l++) {
        const z = rnd() * this.spread;
        const b = (c * LATENT + l) * d;
        for (let j = 0; j < d; j++) v[j]! += z * this.bases[b + j]!;
      }
      for (let j = 0; j < d; j++) v[j]! += this.noise * rnd();
    }
    return m;
  }
}
