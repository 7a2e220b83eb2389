/**
 * @module The source pictures beside the model-sized frames: ffmpeg's second output is a stream
 * of JPEGs (image2pipe), one per analysed frame, at the camera's resolution up to
 * `snapshots.max_width`. The splitter cuts the stream at each JPEG's end marker (ffmpeg's MJPEG
 * writes no embedded thumbnail, and 0xFF in entropy-coded data is always stuffed, so FFD9 ends a
 * picture); the pairing hands the n-th picture to the n-th frame, whichever comes first. Pure.
 */

export class JpegSplitter {
  private parts: Uint8Array[] = [];
  private held = 0;
  /** The last byte of the previous chunk was 0xFF (a marker split across chunks). */
  private ff = false;

  /** Feed a chunk; returns the JPEGs it completed. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const prevFF = i === 0 ? this.ff : chunk[i - 1] === 0xff;
      if (chunk[i] !== 0xd9 || !prevFF) continue;
      this.parts.push(chunk.subarray(from, i + 1));
      out.push(this.take());
      from = i + 1;
    }
    if (from < chunk.length) {
      this.parts.push(chunk.slice(from));
      this.held += chunk.length - from;
    }
    this.ff = chunk.length > 0 && chunk[chunk.length - 1] === 0xff;
    return out;
  }

  private take(): Uint8Array {
    const all = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) {
      all.set(p, at);
      at += p.length;
    }
    this.parts = [];
    this.held = 0;
    // A JPEG starts at its SOI (FFD8); anything before it is not part of the picture.
    const soi = all.findIndex((b, i) => b === 0xff && all[i + 1] === 0xd8);
    return soi > 0 ? all.subarray(soi) : all;
  }
}

/** A picture that may not have arrived yet: resolves with its JPEG, or null when it never will. */
export type Picture = Promise<Uint8Array | null>;

interface Slot {
  picture: Picture;
  resolve: (p: Uint8Array | null) => void;
  claimed: boolean;
  arrived: boolean;
}

/** Pairs the n-th picture with the n-th frame; keeps at most `max` unclaimed slots (oldest dropped). */
export class PicturePairing {
  private slots = new Map<number, Slot>();
  private next = 0;

  constructor(private readonly max = 64) {}

  private slot(n: number): Slot {
    let s = this.slots.get(n);
    if (!s) {
      let resolve!: (p: Uint8Array | null) => void;
      const picture: Picture = new Promise((r) => {
        resolve = r;
      });
      s = { picture, resolve, claimed: false, arrived: false };
      this.slots.set(n, s);
      while (this.slots.size > this.max) {
        const [k, old] = this.slots.entries().next().value as [number, Slot];
        old.resolve(null);
        this.slots.delete(k);
      }
    }
    return s;
  }

  /** The next picture of the stream has arrived. */
  arrived(jpeg: Uint8Array): void {
    const n = this.next++;
    const s = this.slot(n);
    s.resolve(jpeg);
    s.arrived = true;
    if (s.claimed) this.slots.delete(n);
  }

  /** Frame n's picture (a slot goes once it is both claimed and arrived). */
  claim(n: number): Picture {
    const s = this.slot(n);
    s.claimed = true;
    if (s.arrived) this.slots.delete(n);
    return s.picture;
  }

  /** ffmpeg is gone: pictures not come by now never will. */
  end(): void {
    for (const s of this.slots.values()) s.resolve(null);
    this.slots.clear();
  }
}
