/**
 * @module HNSW vector index on usearch (its only importer), cosine metric. Persisted beside the
 * database as `<name>.usearch` plus a sidecar `<name>.json` holding the count and key sum it was saved
 * with, so start-up can tell a stale or missing index from a current one and rebuild from DuckDB.
 */
import usearch, { type Index, type IndexConfig, type MetricKind, type ScalarKind } from 'usearch';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export type Quantization = 'i8' | 'f16' | 'f32';

export interface IndexParams {
  dims: number;
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  /** How the index holds vectors (absent: f32). */
  quantization?: Quantization;
}
export interface Hit {
  key: bigint;
  score: number;
}
export interface Fingerprint {
  count: number;
  keySum: string;
}
/** A saved index's fingerprint, with the highest key it ever held. */
export interface Saved extends Fingerprint {
  maxKey: bigint;
}

export class VectorIndex {
  private index: Index;
  private keySum = 0n;
  /** The highest key ever added (not lowered by a removal): keys above it are new to this index. */
  private highest = -1n;

  constructor(readonly params: IndexParams) {
    this.index = VectorIndex.make(params);
  }

  private static make(p: IndexParams): Index {
    return new usearch.Index({
      dimensions: p.dims,
      metric: 'cos' as MetricKind,
      connectivity: p.connectivity,
      expansion_add: p.expansionAdd,
      expansion_search: p.expansionSearch,
      quantization: (p.quantization ?? 'f32') as ScalarKind,
      multi: false,
    } as unknown as IndexConfig);
  }

  get size(): number {
    return this.index.size();
  }

  get quantization(): Quantization {
    return this.params.quantization ?? 'f32';
  }

  fingerprint(): Fingerprint {
    return { count: this.size, keySum: this.keySum.toString() };
  }

  contains(key: bigint): boolean {
    return this.index.contains(key) as boolean;
  }

  add(key: bigint, vector: Float32Array): void {
    if (this.index.contains(key)) return;
    this.index.add(key, vector);
    this.keySum += key;
    if (key > this.highest) this.highest = key;
  }

  /** Bulk load (rebuild): many vectors packed in one matrix, with their keys. */
  addMany(keys: BigUint64Array, matrix: Float32Array, threads = 0): void {
    if (keys.length === 0) return;
    this.index.add(keys, matrix, threads);
    for (const k of keys) {
      this.keySum += k;
      if (k > this.highest) this.highest = k;
    }
  }

  remove(key: bigint): void {
    if ((this.index.remove(key) as number) > 0) this.keySum -= key;
  }

  search(vector: Float32Array, k: number): Hit[] {
    if (this.size === 0 || k <= 0) return [];
    // One query runs on one thread: asking usearch for a pool (0) costs more than the search itself.
    const m = this.index.search(vector, Math.min(k, this.size), 1);
    const hits: Hit[] = [];
    for (let i = 0; i < m.keys.length; i++) {
      // usearch pads a short result with the max key; a real hit has a finite distance.
      if (!Number.isFinite(m.distances[i]!) || m.distances[i]! > 2) continue;
      hits.push({ key: m.keys[i]!, score: 1 - m.distances[i]! });
    }
    return hits;
  }

  /** Save atomically: index then sidecar, each written to a temp file and renamed. */
  async save(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    this.index.save(`${path}.tmp`);
    await rename(`${path}.tmp`, path);
    await Bun.write(
      `${sidecar(path)}.tmp`,
      JSON.stringify({
        ...this.fingerprint(),
        maxKey: String(this.highest),
        dims: this.params.dims,
        quantization: this.quantization,
        connectivity: this.params.connectivity,
      }),
    );
    await rename(`${sidecar(path)}.tmp`, sidecar(path));
  }

  /** Load a saved index; returns its fingerprint, or null when missing, unreadable or of other dims. */
  async load(path: string): Promise<Saved | null> {
    if (!existsSync(path) || !existsSync(sidecar(path))) return null;
    try {
      const meta = JSON.parse(await Bun.file(sidecar(path)).text()) as Fingerprint & {
        maxKey?: string;
        dims: number;
        quantization?: Quantization;
        connectivity?: number;
      };
      // An index saved with other dimensions, quantisation or graph degree is rebuilt, not misread;
      // so is one saved without its highest key, which a catch-up after a crash needs.
      if (meta.dims !== this.params.dims || (meta.quantization ?? 'f32') !== this.quantization) return null;
      if (meta.maxKey === undefined) return null;
      // The graph's degree is the saved file's own: a changed search.connectivity needs a new graph.
      if (meta.connectivity !== undefined && meta.connectivity !== this.params.connectivity) return null;
      const fresh = VectorIndex.make(this.params);
      fresh.load(path);
      if (fresh.size() !== meta.count) return null;
      this.index = fresh;
      this.keySum = BigInt(meta.keySum);
      this.highest = BigInt(meta.maxKey!);
      return { count: meta.count, keySum: meta.keySum, maxKey: this.highest };
    } catch {
      return null;
    }
  }

  static async remove(path: string): Promise<void> {
    await rm(path, { force: true });
    await rm(sidecar(path), { force: true });
  }
}

/** Exact cosine search by brute force (SIMD) over `n` vectors packed in a matrix: positions and scores, best first. */
export function exactTop(
  matrix: Float32Array,
  q: Float32Array,
  dims: number,
  k: number,
): Array<{ at: number; score: number }> {
  const n = matrix.length / dims;
  if (n === 0 || k <= 0) return [];
  // usearch's exactSearch reads a typed array from the start of its buffer, whatever the view's
  // offset (2.26.2): a view into a larger buffer would be searched as the rows before it.
  if (matrix.byteOffset) matrix = matrix.slice();
  if (q.byteOffset) q = q.slice();
  // A thread pool costs about 0.2 ms a call: worth it only over many vectors.
  const m = usearch.exactSearch(matrix, q, dims, Math.min(k, n), 'cos' as MetricKind, n > 8192 ? 0 : 1) as {
    keys: BigUint64Array;
    distances: Float32Array;
  };
  const out: Array<{ at: number; score: number }> = [];
  for (let i = 0; i < m.keys.length; i++)
    if (Number.isFinite(m.distances[i]!)) out.push({ at: Number(m.keys[i]!), score: 1 - m.distances[i]! });
  return out;
}

export const sidecar = (path: string) => `${path.replace(/\.usearch$/, '')}.json`;
