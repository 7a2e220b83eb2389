/**
 * @module Text boxes from a DB (differentiable binarization) text detector's probability map, as
 * PaddleOCR's DBPostProcess makes them, with axis-aligned boxes: pixels above `thresh` are joined
 * into regions (8-connected); a region's score is the mean probability over its box; boxes scoring
 * under `boxThresh` are dropped; the rest grow by the DB "unclip" distance (area × ratio / perimeter)
 * that undoes the shrink the model was trained with. Rotated text gets the box around it. Pure.
 */

export type Box = [number, number, number, number];

export interface TextBox {
  /** [x1, y1, x2, y2] in the map's pixels. */
  box: Box;
  score: number;
}

export interface DbOptions {
  /** A pixel is text above this probability. */
  thresh: number;
  /** A box is kept when its mean probability is at least this. */
  boxThresh: number;
  /** How far a box grows: its area × this / its perimeter, on each side. */
  unclip: number;
  /** Boxes whose shorter side (after growing) is under this are dropped. */
  minSide: number;
  /** At most this many regions are looked at (the largest first). */
  maxBoxes: number;
}

export const DB_DEFAULTS: DbOptions = { thresh: 0.3, boxThresh: 0.6, unclip: 1.5, minSide: 5, maxBoxes: 1000 };

export function textBoxes(prob: Float32Array, w: number, h: number, o: DbOptions = DB_DEFAULTS): TextBox[] {
  if (prob.length < w * h) throw new Error(`a ${w}x${h} map needs ${w * h} values, got ${prob.length}`);
  const seen = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  const regions: Array<{ box: Box; n: number }> = [];
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || prob[start]! <= o.thresh) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let [x1, y1, x2, y2, n] = [w, h, -1, -1, 0];
    while (top) {
      const i = stack[--top]!;
      const x = i % w;
      const y = (i - x) / w;
      n++;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const j = yy * w + xx;
          if (!seen[j] && prob[j]! > o.thresh) {
            seen[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    regions.push({ box: [x1, y1, x2 + 1, y2 + 1], n });
  }
  regions.sort((a, b) => b.n - a.n);
  const out: TextBox[] = [];
  for (const r of regions.slice(0, o.maxBoxes)) {
    const [x1, y1, x2, y2] = r.box;
    const bw = x2 - x1;
    const bh = y2 - y1;
    if (Math.min(bw, bh) < 2) continue;
    let sum = 0;
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) sum += prob[y * w + x]!;
    const score = sum / (bw * bh);
    if (score < o.boxThresh) continue;
    const d = (bw * bh * o.unclip) / (2 * (bw + bh));
    const box: Box = [Math.max(0, x1 - d), Math.max(0, y1 - d), Math.min(w, x2 + d), Math.min(h, y2 + d)];
    if (Math.min(box[2] - box[0], box[3] - box[1]) < o.minSide) continue;
    out.push({ box, score });
  }
  // Reading order: top to bottom, then left to right within a line.
  return out.sort((a, b) =>
    Math.abs(a.box[1] - b.box[1]) < Math.min(a.box[3] - a.box[1], b.box[3] - b.box[1]) / 2
      ? a.box[0] - b.box[0]
      : a.box[1] - b.box[1],
  );
}
