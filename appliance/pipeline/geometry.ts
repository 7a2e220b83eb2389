/**
 * @module Zones and lines for events, in normalised frame coordinates (0..1), so one config fits any
 * resolution. Pure.
 */

export type Point = [number, number];

/** Ray casting: is p inside the polygon? */
export function inPolygon(p: Point, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

/**
 * Did the move from `prev` to `cur` cross the segment a-b? Returns the direction (+1: from the
 * left of a->b to its right as seen on screen, -1: the other way) or 0 for no crossing. Image
 * coordinates have y pointing down, so a positive cross product means the right-hand side.
 */
export function crossing(prev: Point, cur: Point, a: Point, b: Point): -1 | 0 | 1 {
  const s1 = cross(a, b, prev);
  const s2 = cross(a, b, cur);
  if (s1 === 0 || s2 === 0 || s1 > 0 === s2 > 0) return 0;
  const t1 = cross(prev, cur, a);
  const t2 = cross(prev, cur, b);
  if (t1 > 0 === t2 > 0) return 0;
  return s1 > 0 ? -1 : 1;
}

/** The point of a box that events use: bottom centre (where a person or car touches the ground). */
export function anchorOf(box: readonly number[], width: number, height: number): Point {
  return [(box[0]! + box[2]!) / 2 / width, box[3]! / height];
}
