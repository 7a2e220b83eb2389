/**
 * @module The embeddings beside the index, as float32 in one flat file addressed by vector key
 * (`<index>.f32`, key k at k × dims × 4 bytes; keys come from a sequence, so the file is dense but
 * for deleted images, which stay as holes). What a search needs of a vector without a round trip to
 * DuckDB: the query of a search by id, the exact search of a small library, and the exact
 * re-rank of an approximate shortlist. It is a copy of DuckDB's embeddings, written with the index
 * and judged with it by the index's fingerprint: a file that disagrees is rebuilt with the index.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { dlopen, FFIType } from 'bun:ffi';

export class VectorFile {
  private fd: number;
  private readonly bytes: number;

  constructor(
    readonly path: string,
    readonly dims: number,
  ) {
    this.bytes = dims * 4;
    this.fd = openSync(path, existsSync(path) ? 'r+' : 'w+', 0o600);
  }

  /** Whether the file has room for `maxKey` (an index loaded beside a shorter file is not current). */
  covers(maxKey: bigint): boolean {
    return fstatSync(this.fd).size >= (Number(maxKey) + 1) * this.bytes;
  }

  write(key: bigint, v: Float32Array): void {
    writeSync(this.fd, new Uint8Array(v.buffer, v.byteOffset, this.bytes), 0, this.bytes, Number(key) * this.bytes);
  }

  /** Many vectors packed in one matrix, with their keys (a rebuild). */
  writeMany(keys: BigUint64Array, matrix: Float32Array): void {
    for (let i = 0; i < keys.length; i++) this.write(keys[i]!, matrix.subarray(i * this.dims, (i + 1) * this.dims));
  }

  /**
   * The vectors of these keys packed into one matrix (rows of holes left out), with the keys of
   * the rows it holds: the shortlist of a re-rank, read in one pass into one buffer.
   */
  readMany(keys: bigint[]): { keys: bigint[]; matrix: Float32Array } {
    // Rows no longer in the page cache are read from disk: ask for all of them at once, so the
    // kernel reads them in parallel, before reading each (one at a time they wait one after another).
    if (keys.length > 1) for (const k of keys) willNeed(this.fd, Number(k) * this.bytes, this.bytes);
    const matrix = new Float32Array(keys.length * this.dims);
    const bytes = new Uint8Array(matrix.buffer);
    const held: bigint[] = [];
    for (const k of keys) {
      const at = held.length * this.bytes;
      const n = readSync(this.fd, bytes, at, this.bytes, Number(k) * this.bytes);
      if (n < this.bytes || isHole(matrix, held.length * this.dims, this.dims)) continue;
      held.push(k);
    }
    return { keys: held, matrix: matrix.subarray(0, held.length * this.dims) };
  }

  /** The vector of a key, or null for a hole (a key never written, or past the end). */
  read(key: bigint): Float32Array | null {
    const { keys, matrix } = this.readMany([key]);
    return keys.length ? matrix : null;
  }

  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

let fadvise: ((fd: number, offset: number, len: number, advice: number) => number) | null | undefined;

/** posix_fadvise(POSIX_FADV_WILLNEED): start reading a range into the page cache; a no-op where libc has no such call. */
function willNeed(fd: number, offset: number, len: number): void {
  if (fadvise === undefined) {
    try {
      fadvise = dlopen('libc.so.6', {
        posix_fadvise: { args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.i32], returns: FFIType.i32 },
      }).symbols.posix_fadvise as unknown as typeof fadvise;
    } catch {
      fadvise = null;
    }
  }
  fadvise?.(fd, offset, len, 3);
}

/** A row of zeros: a key never written (or a deleted image's); a real embedding is never all zero. */
function isHole(m: Float32Array, at: number, dims: number): boolean {
  for (let i = at; i < at + dims; i++) if (m[i] !== 0) return false;
  return true;
}
