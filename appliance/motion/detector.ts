/**
 * @module Motion on a small grey copy of a frame, as Frigate's improved motion detector finds it:
 * the frame is cut to about 320 px wide and blurred; it is compared with a running average of the
 * scene; pixels that differ by more than `threshold` (outside the masks) are grown by one pixel and
 * grouped into boxes, and boxes smaller than `minArea` are noise. A sudden change of most of the
 * picture (lights, an infrared switch, a camera that moved) resets the average instead of reporting a
 * frame full of motion. Pure and allocation-light: one instance per stream.
 */

export interface MotionOptions {
  /** Width of the grey copy (its height keeps the aspect ratio). */
  width: number;
  /** Grey levels a pixel must differ from the average by. */
  threshold: number;
  /** Smallest motion box, in pixels of the grey copy. */
  minArea: number;
  /** How fast the average follows the scene (0..1 per frame). */
  alpha: number;
  /** A share of changed pixels above this is a global change: the average starts again. */
  resetShare: number;
  /** Polygons (normalised 0..1) where motion is ignored. */
  masks: Array<Array<[number, number]>>;
}

export const MOTION_DEFAULTS: MotionOptions = {
  width: 320,
  threshold: 30,
  minArea: 16,
  alpha: 0.02,
  resetShare: 0.5,
  masks: [],
};

/** A part of the frame, in its pixels. */
export interface Area {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A motion box, normalised to the frame (0..1). */
export interface MotionBox {
  box: [number, number, number, number];
  /** Changed pixels in it, of the grey copy. */
  pixels: number;
}

export interface MotionResult {
  boxes: MotionBox[];
  /** Share of the picture that changed (masked pixels left out). */
  share: number;
  /** The scene changed as a whole: the average started again, nothing is reported. */
  reset: boolean;
}

/** Whether (x, y) is inside the polygon (ray casting). */
function inside(x: number, y: number, poly: Array<[number, number]>): boolean {
  let hit = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

export class MotionDetector {
  private avg: Float32Array | null = null;
  private grey: Uint8Array = new Uint8Array(0);
  private blurred: Uint8Array = new Uint8Array(0);
  private changed: Uint8Array = new Uint8Array(0);
  private grown: Uint8Array = new Uint8Array(0);
  private labels: Int32Array = new Int32Array(0);
  /** Byte offset in a source row of each grey column, and the source row of each grey row. */
  private xmap: Int32Array = new Int32Array(0);
  private ymap: Int32Array = new Int32Array(0);
  private key = '';
  /** Row sums of the separable blur. */
  private rows: Uint16Array = new Uint16Array(0);
  private mask: Uint8Array | null = null;
  /** Pixels of the grey copy under a mask. */
  private masked = 0;
  private w = 0;
  private h = 0;

  constructor(private readonly o: MotionOptions = MOTION_DEFAULTS) {}

  /** Size the buffers for a frame of this shape (once per stream, again if the shape changes). */
  private size(srcW: number, r: Area): void {
    const w = Math.min(this.o.width, r.width);
    const h = Math.max(1, Math.round((r.height * w) / r.width));
    const key = `${srcW} ${r.left} ${r.top} ${r.width} ${r.height}`;
    if (w === this.w && h === this.h && key === this.key) return;
    this.w = w;
    this.h = h;

    this.key = key;
    const n = w * h;
    this.xmap = Int32Array.from(
      { length: w },
      (_, x) => (r.left + Math.min(r.width - 1, Math.floor(((x + 0.5) * r.width) / w))) * 3,
    );
    this.ymap = Int32Array.from(
      { length: h },
      (_, y) => r.top + Math.min(r.height - 1, Math.floor(((y + 0.5) * r.height) / h)),
    );
    this.rows = new Uint16Array(n);
    this.grey = new Uint8Array(n);
    this.blurred = new Uint8Array(n);
    this.changed = new Uint8Array(n);
    this.grown = new Uint8Array(n);
    this.labels = new Int32Array(n);
    this.avg = null;
    this.mask = null;
    this.masked = 0;
    if (this.o.masks.length) {
      const m = new Uint8Array(n);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const px = (x + 0.5) / w;
          const py = (y + 0.5) / h;
          if (this.o.masks.some((p) => inside(px, py, p))) m[y * w + x] = 1;
        }
      this.mask = m;
      this.masked = m.reduce((s, v) => s + v, 0);
    }
  }

  /** Grey (BT.601 luma, integer) of a packed 3-byte frame, sampled down to the copy's size. */
  private toGrey(px: Uint8Array, srcW: number, order: 'bgr' | 'rgb'): void {
    const { w, h, grey, xmap, ymap } = this;
    const [r, b] = order === 'bgr' ? [2, 0] : [0, 2];
    for (let y = 0; y < h; y++) {
      const row = ymap[y]! * srcW * 3;
      const o = y * w;
      for (let x = 0; x < w; x++) {
        const i = row + xmap[x]!;
        grey[o + x] = (77 * px[i + r]! + 150 * px[i + 1]! + 29 * px[i + b]!) >> 8;
      }
    }
  }

  /**
   * A 3x3 box blur (edges repeat the border pixel), so sensor noise does not count as motion: in two
   * passes, three across then three down.
   */
  private blur(): void {
    const { w, h, grey, blurred, rows } = this;
    for (let y = 0; y < h; y++) {
      const o = y * w;
      for (let x = 0; x < w; x++) {
        const c = grey[o + x]!;
        rows[o + x] = (x > 0 ? grey[o + x - 1]! : c) + c + (x < w - 1 ? grey[o + x + 1]! : c);
      }
    }
    for (let y = 0; y < h; y++) {
      const o = y * w;
      const up = y > 0 ? o - w : o;
      const down = y < h - 1 ? o + w : o;
      for (let x = 0; x < w; x++) blurred[o + x] = ((rows[up + x]! + rows[o + x]! + rows[down + x]!) * 7282) >> 16;
    }
  }

  /**
   * Motion in one frame of packed BGR or RGB pixels, within `area` of it (the picture of a
   * letterboxed frame; the whole frame by default). Boxes and masks are normalised to the area.
   */
  detect(
    px: Uint8Array,
    srcW: number,
    srcH: number,
    order: 'bgr' | 'rgb' = 'bgr',
    area: Area = { left: 0, top: 0, width: srcW, height: srcH },
  ): MotionResult {
    this.size(srcW, area);
    this.toGrey(px, srcW, order);
    this.blur();
    const { w, h, blurred, changed, grown, mask } = this;
    const n = w * h;
    if (!this.avg) {
      this.avg = Float32Array.from(blurred);
      return { boxes: [], share: 0, reset: false };
    }
    const avg = this.avg;
    const a = this.o.alpha;
    const t = this.o.threshold;
    let count = 0;
    // One pass: the difference with the average, the threshold, and the average's update (undone
    // below by a reset, which is rare).
    if (mask) {
      for (let i = 0; i < n; i++) {
        const d = blurred[i]! - avg[i]!;
        avg[i] = avg[i]! + a * d;
        const c = mask[i] ? 0 : d > t || d < -t ? 1 : 0;
        changed[i] = c;
        count += c;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const d = blurred[i]! - avg[i]!;
        avg[i] = avg[i]! + a * d;
        const c = d > t || d < -t ? 1 : 0;
        changed[i] = c;
        count += c;
      }
    }
    const open = n - this.masked;
    const share = open ? count / open : 0;
    if (share > this.o.resetShare) {
      avg.set(blurred);
      return { boxes: [], share, reset: true };
    }
    if (!count) return { boxes: [], share, reset: false };
    // Grow by a pixel, so the parts of one moving thing join up.
    grown.fill(0);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        if (!changed[y * w + x]) continue;
        for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++)
          for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) grown[yy * w + xx] = 1;
      }
    return { boxes: this.components(), share, reset: false };
  }

  /** Boxes of the connected changed regions (4-connected, by a stack flood fill). */
  private components(): MotionBox[] {
    const { w, h, grown, changed, labels } = this;
    labels.fill(0);
    const out: MotionBox[] = [];
    const stack: number[] = [];
    let next = 0;
    for (let start = 0; start < w * h; start++) {
      if (!grown[start] || labels[start]) continue;
      next++;
      let [x0, y0, x1, y1, pixels] = [w, h, -1, -1, 0];
      stack.push(start);
      labels[start] = next;
      while (stack.length) {
        const i = stack.pop()!;
        const x = i % w;
        const y = (i - x) / w;
        if (changed[i]) pixels++;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        for (const j of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1]) {
          if (j < 0 || !grown[j] || labels[j]) continue;
          labels[j] = next;
          stack.push(j);
        }
      }
      if (pixels >= this.o.minArea) out.push({ box: [x0 / w, y0 / h, (x1 + 1) / w, (y1 + 1) / h], pixels });
    }
    return out;
  }
}
