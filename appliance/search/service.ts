/**
 * @module Keeps the HNSW index of one embedding model in step with DuckDB: loads it at start when its
 * fingerprint (count, key sum) matches the table, rebuilds it from DuckDB otherwise, saves it a short
 * while after changes and on close, and answers searches. Small collections and filtered searches that
 * the index cannot fill are answered exactly in DuckDB.
 */
import type { Db } from '../store/duckdb';
import {
  embeddingChunks,
  exactSearch,
  fingerprint,
  imagesByKeys,
  vectorKeys,
  narrows,
  type Filters,
  type ImageRow,
} from '../store/images';
import { VectorIndex, exactTop, sidecar, type IndexParams } from './usearch';
import { VectorFile } from './vectors';
import type { Logger } from '../shared/log';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { realTimers, type Timers } from '../shared/timers';

export interface Scored {
  row: ImageRow;
  score: number;
}

export interface SearchOptions {
  limit: number;
  threshold: number;
  filters: Filters;
  exactBelow: number;
  /** The rows of these vector keys that pass the filters (the image service's, from memory); else DuckDB's. */
  rows?: (keys: bigint[], f: Filters) => Promise<ImageRow[]>;
}

const OVERSAMPLE = 4;
/** Up to this many vectors, an exact search runs in memory (10 MB per 2,000 at 1280-d); past it, in DuckDB. */
const EXACT_IN_MEMORY = 20_000;

/** The best k of candidate keys by their exact cosine, from the float32 vectors (SIMD over the shortlist). */
export function rerank(
  vectors: VectorFile,
  q: Float32Array,
  candidates: bigint[],
  k: number,
): Array<{ key: bigint; score: number }> {
  const { keys, matrix } = vectors.readMany(candidates);
  return exactTop(matrix, q, vectors.dims, k).map((h) => ({ key: keys[h.at]!, score: h.score }));
}

export class SearchIndex {
  private dirty = false;
  private saveTimer: unknown = null;
  lastRebuild: { at: string; count: number; ms: number } | null = null;
  /** Every vector packed for an exact search in memory, while the library is small; null when changed. */
  private packed: { keys: bigint[]; matrix: Float32Array } | null = null;

  private constructor(
    private readonly db: Db,
    readonly modelId: string,
    readonly index: VectorIndex,
    private readonly vectors: VectorFile,
    private readonly path: string,
    private readonly log: Logger,
    private readonly timers: Timers,
    /** Candidates a quantised index hands to the exact re-rank. */
    private readonly rerank: number,
  ) {}

  /** The index's files on disk (for backups). */
  get files(): string[] {
    return [this.path, sidecar(this.path)];
  }

  static async open(
    db: Db,
    modelId: string,
    params: IndexParams & { rerankCandidates?: number },
    path: string,
    log: Logger,
    timers: Timers = realTimers,
  ): Promise<SearchIndex> {
    await mkdir(dirname(path), { recursive: true });
    const vectors = new VectorFile(path.replace(/\.usearch$/, '.f32'), params.dims);
    const s = new SearchIndex(
      db,
      modelId,
      new VectorIndex(params),
      vectors,
      path,
      log,
      timers,
      params.rerankCandidates ?? 128,
    );
    const [saved, want] = await Promise.all([s.index.load(path), fingerprint(db, modelId)]);
    if (saved && saved.count === want.count && saved.keySum === want.keySum && vectors.covers(want.maxKey)) {
      log.info('vector index loaded', { count: saved.count });
    } else {
      log.warn('vector index missing or out of date; rebuilding from the database', { saved, want });
      await s.rebuild();
    }
    return s;
  }

  async rebuild(): Promise<void> {
    const t0 = performance.now();
    this.index.clear();
    this.vectors.clear();
    this.packed = null;
    await embeddingChunks(this.db, this.modelId, this.index.params.dims, (keys, matrix) => {
      this.index.addMany(keys, matrix);
      this.vectors.writeMany(keys, matrix);
    });
    this.vectors.sync();
    await this.index.save(this.path);
    this.lastRebuild = { at: new Date().toISOString(), count: this.index.size, ms: Math.round(performance.now() - t0) };
    this.log.info('vector index rebuilt', this.lastRebuild);
  }

  /** Whether the index agrees with the table now (for /health). */
  async consistent(): Promise<boolean> {
    const want = await fingerprint(this.db, this.modelId);
    const have = this.index.fingerprint();
    return want.count === have.count && want.keySum === have.keySum;
  }

  add(key: bigint, vector: Float32Array): void {
    // The vector first: an index that has a key always has its vector beside it.
    this.vectors.write(key, vector);
    this.index.add(key, vector);
    this.packed = null;
    this.scheduleSave();
  }

  remove(key: bigint): void {
    this.index.remove(key);
    this.vectors.write(key, new Float32Array(this.index.params.dims));
    this.packed = null;
    this.scheduleSave();
  }

  /**
   * The best k of a quantised index's wider shortlist, scored again exactly with the float32
   * vectors beside it: the quantised distances only choose the candidates.
   */
  private reranked(q: Float32Array, k: number): Array<{ key: bigint; score: number }> {
    const shortlist = this.index.search(q, Math.max(this.rerank, k * OVERSAMPLE));
    return rerank(
      this.vectors,
      q,
      shortlist.map((h) => h.key),
      k,
    );
  }

  /** The stored vector of a key (read beside the index, not from DuckDB), or null. */
  vector(key: bigint): Float32Array | null {
    return this.vectors.read(key);
  }

  async search(q: Float32Array, o: SearchOptions): Promise<Scored[]> {
    const filtered = narrows(o.filters);
    if (this.index.size < o.exactBelow) return this.exact(q, o);
    const k = filtered ? o.limit * OVERSAMPLE : o.limit;
    const hits = this.index.quantization === 'f32' ? this.index.search(q, k) : this.reranked(q, k);
    const keys = hits.map((h) => h.key);
    const rows = await (o.rows ? o.rows(keys, o.filters) : imagesByKeys(this.db, keys, o.filters));
    const byKey = new Map(rows.map((r) => [r.vec_key, r]));
    const out = hits.flatMap((h) => (byKey.has(h.key) ? [{ row: byKey.get(h.key)!, score: h.score }] : []));
    // A filter can reject most of the candidates; when it leaves too few, ask DuckDB exactly.
    if (filtered && out.length < o.limit && hits.length === k) return this.exact(q, o);
    return out.filter((s) => s.score >= o.threshold).slice(0, o.limit);
  }

  private async exact(q: Float32Array, o: SearchOptions): Promise<Scored[]> {
    if (o.rows && this.index.size <= EXACT_IN_MEMORY) return this.exactInMemory(q, o, o.rows);
    const rows = await exactSearch(this.db, q, this.modelId, o.filters, o.limit);
    return rows.filter((r) => r.score >= o.threshold).map(({ score, ...row }) => ({ row, score }));
  }

  /** Every vector scored (SIMD brute force), then the rows of the best, a page at a time, until enough pass the filters. */
  private async exactInMemory(
    q: Float32Array,
    o: SearchOptions,
    rowsOf: NonNullable<SearchOptions['rows']>,
  ): Promise<Scored[]> {
    this.packed ??= await this.pack();
    const { keys, matrix } = this.packed;
    const ranked = exactTop(matrix, q, this.index.params.dims, keys.length).filter((h) => h.score >= o.threshold);
    const out: Scored[] = [];
    const page = Math.max(o.limit * OVERSAMPLE, 64);
    for (let i = 0; i < ranked.length && out.length < o.limit; i += page) {
      const part = ranked.slice(i, i + page);
      const byKey = new Map(
        (
          await rowsOf(
            part.map((h) => keys[h.at]!),
            o.filters,
          )
        ).map((r) => [BigInt(r.vec_key), r]),
      );
      for (const h of part) {
        const row = byKey.get(keys[h.at]!);
        if (row) out.push({ row, score: h.score });
      }
    }
    return out.slice(0, o.limit);
  }

  /** The library's vectors in one matrix, read beside the index (the keys from DuckDB). */
  private async pack(): Promise<{ keys: bigint[]; matrix: Float32Array }> {
    return this.vectors.readMany(await vectorKeys(this.db, this.modelId));
  }

  private scheduleSave(): void {
    this.dirty = true;
    if (this.saveTimer) return;
    this.saveTimer = this.timers.set(() => {
      this.saveTimer = null;
      void this.flush();
    }, 2000);
  }

  /** Save what changed and let go of the vector file. */
  async close(): Promise<void> {
    await this.flush();
    this.vectors.close();
  }

  async flush(): Promise<void> {
    if (this.saveTimer) {
      this.timers.clear(this.saveTimer);
      this.saveTimer = null;
    }
    if (!this.dirty) return;
    this.dirty = false;
    try {
      this.vectors.sync();
      await this.index.save(this.path);
    } catch (e) {
      this.dirty = true;
      this.log.error('vector index save failed; it will be rebuilt at next start if needed', { error: e });
    }
  }
}
