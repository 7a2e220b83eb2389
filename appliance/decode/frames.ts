/**
 * @module Cuts ffmpeg's raw video byte stream into whole frames (the pipe gives arbitrary chunks),
 * and reads each frame's presentation time from showinfo's stderr lines. Pure: tested with chunks.
 */

export class FrameSplitter {
  private buf: Uint8Array;
  private fill = 0;

  constructor(readonly frameBytes: number) {
    this.buf = new Uint8Array(frameBytes);
  }

  /** Feed a chunk; returns the frames it completed (each a fresh copy, safe to keep). */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(this.frameBytes - this.fill, chunk.length - off);
      this.buf.set(chunk.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === this.frameBytes) {
        out.push(this.buf);
        this.buf = new Uint8Array(this.frameBytes);
        this.fill = 0;
      }
    }
    return out;
  }

  /** Bytes of a partial frame held (ffmpeg died mid-frame when this is not 0 at the end). */
  get pending(): number {
    return this.fill;
  }
}

const SHOWINFO = /\[Parsed_showinfo[^\]]*\]\s+n:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.]+)/;

/** The frame number and pts (seconds) of a showinfo line, or null for any other line. */
export function parseShowinfo(line: string): { n: number; ptsS: number } | null {
  const m = SHOWINFO.exec(line);
  return m ? { n: Number(m[1]), ptsS: Number(m[3]) } : null;
}

/** Keeps the last `size` lines (ffmpeg's stderr), for the log when the process dies. */
export class RingBuffer {
  private lines: string[] = [];
  constructor(private readonly size: number) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }
  get all(): string[] {
    return [...this.lines];
  }
}

const INPUT_VIDEO = /Stream #0:\d+[^:]*: Video: .*?, (\d{2,5})x(\d{2,5})[,\s]/;

/** The source picture size from ffmpeg's input description, e.g. "Stream #0:0: Video: h264 ..., 768x432". */
export function parseInputSize(line: string): { width: number; height: number } | null {
  if (!line.includes('Stream #0:') || line.includes('rawvideo')) return null;
  const m = INPUT_VIDEO.exec(line);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : null;
}
