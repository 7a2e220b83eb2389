/**
 * @module Keeps the HNSW index of one embedding model in step with DuckDB, and answers searches.
 * At start: a saved index whose fingerprint (count, key sum) matches the table is loaded; one that
 * is behind (a crash between a write and the next save) catches up with what was added and deleted
 * since; otherwise it is rebuilt from DuckDB: before the box answers for a small library, in the
 * background for a large one, with searches answered exactly meanwhile. Saved a while after
 * changes (spaced to many times what a save takes) and on close. Small collections and filtered
 * searches that the index cannot fill are answered exactly.
 */
import type { Db } from '../store/duckdb';
import {
  embeddingChunks,
  embeddingPage,
  exactSearch,
  fingerprint,
  imagesByKeys,
  vectorKeys,
  narrows,
  type Filters,
  type ImageRow,
} from '../store/images';
import { VectorIndex, exactTop, sidecar, type IndexParams, type Saved } from './usearch';
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
/** Up to this many vectors, a rebuild runs before the box answers (seconds); past it, in the background. */
const REBUILD_IN_FOREGROUND = 20_000;
/** Keys per page of a background rebuild or a catch-up: each page's indexing holds the event loop. */
const PAGE_KEYS = 512n;
/** A save waits at least this long after a change, and at least SAVE_SPACING times the last save's duration. */
const SAVE_AFTER_MS = 2000;
const SAVE_SPACING = 20;
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

/** A rebuild in the background: the index it fills, how far it is, and what was deleted meanwhile. */
interface Rebuilding {
  index: VectorIndex;
  done: number;
  of: number;
  removed: Set<bigint>;
}

export class SearchIndex {
  private dirty = false;
  private saveTimer: unknown = null;
  private lastSaveMs = 0;
  private next: Rebuilding | null = null;
  private background: Promise<void> = Promise.resolve();
  private stopping = false;
  lastRebuild: { at: string; count: number; ms: number } | null = null;
  lastCatchUp: { at: string; added: number; removed: number; ms: number } | null = null;
  /** Every vector packed for an exact search in memory, while the library is small; null when changed. */
  private packed: { keys: bigint[]; matrix: Float32Array } | null = null;

  private constructor(
    private readonly db: Db,
    readonly modelId: string,
    public index: VectorIndex,
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
    /** Libraries up to this size are rebuilt before open returns; larger ones in the background. */
    foregroundBelow = REBUILD_IN_FOREGROUND,
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
    } else if (saved && (await s.catchUp(saved, want))) {
      log.info('vector index caught up with the database', { ...s.lastCatchUp, count: s.index.size });
    } else if (want.count <= foregroundBelow) {
      log.warn('vector index missing or out of date; rebuilding from the database', { saved, want });
      await s.rebuild();
    } else {
      log.warn('vector index missing or out of date; rebuilding in the background, searches are exact meanwhile', {
        saved,
        want,
      });
      s.background = s.rebuild(true).catch((e: unknown) => {
        if (s.stopping) log.info('vector index rebuild stopped with the box; it starts again at the next start');
        else log.error('vector index rebuild failed; searches stay exact until the next start', { error: e });
      });
    }
    return s;
  }

  /**
   * Bring a saved index up to the table: drop the keys deleted since it was saved, add the rows
   * added since (keys above the highest it ever held: keys come from a sequence). False when the
   * result still disagrees with the table (then it is rebuilt).
   */
  private async catchUp(saved: Saved, want: { count: number; keySum: string; maxKey: bigint }): Promise<boolean> {
    // The vectors of what the saved index holds must be there (a restore leaves the file out).
    if (!this.vectors.covers(saved.maxKey)) return false;
    const t0 = performance.now();
    const have = new Set(await vectorKeys(this.db, this.modelId));
    let removed = 0;
    for (let k = 0n; k <= saved.maxKey; k++)
      if (!have.has(k) && this.index.contains(k)) {
        this.index.remove(k);
        removed++;
      }
    let added = 0;
    await this.pages(saved.maxKey + 1n, want.maxKey + 1n, (keys, matrix) => {
      this.vectors.writeMany(keys, matrix);
      this.index.addMany(keys, matrix);
      added += keys.length;
    });
    const now = this.index.fingerprint();
    if (now.count !== want.count || now.keySum !== want.keySum || !this.vectors.covers(want.maxKey)) return false;
    this.vectors.sync();
    await this.save();
    this.lastCatchUp = { at: new Date().toISOString(), added, removed, ms: Math.round(performance.now() - t0) };
    return true;
  }

  /** The embeddings with keys in [from, to), a page at a time; other queries and requests go in between. */
  private async pages(from: bigint, to: bigint, fn: (keys: BigUint64Array, matrix: Float32Array) => void) {
    for (let at = from; at < to; at += PAGE_KEYS) {
      if (this.stopping) throw new Error('stopped');
      const { keys, matrix } = await embeddingPage(this.db, this.modelId, this.index.params.dims, at, at + PAGE_KEYS);
      if (keys.length) fn(keys, matrix);
    }
  }

  /**
   * Index every embedding again into a new index, swapped in when complete. In the background the
   * table is read a page at a time, adds and deletes that arrive meanwhile go to the new index too,
   * and searches are exact until the swap.
   */
  async rebuild(background = false): Promise<void> {
    const t0 = performance.now();
    // From the first moment: adds and deletes go to the new index, searches are exact.
    const next: Rebuilding = { index: new VectorIndex(this.index.params), done: 0, of: 0, removed: new Set() };
    this.next = next;
    this.packed = null;
    const add = (keys: BigUint64Array, matrix: Float32Array) => {
      // What arrived or went while this page was read is already in the new index, or must stay out.
      const keep = [...keys.keys()].filter((i) => !next.index.contains(keys[i]!) && !next.removed.has(keys[i]!));
      const ks = keep.length === keys.length ? keys : BigUint64Array.from(keep, (i) => keys[i]!);
      const m = keep.length === keys.length ? matrix : pick(matrix, keep, this.index.params.dims);
      this.vectors.writeMany(ks, m);
      next.index.addMany(ks, m);
      next.done += ks.length;
    };
    try {
      const want = await fingerprint(this.db, this.modelId);
      next.of = want.count;
      // Keys added after `want` was read come through add(), straight into the new index.
      if (background) await this.pages(0n, want.maxKey + 1n, add);
      else await embeddingChunks(this.db, this.modelId, this.index.params.dims, add);
      this.vectors.sync();
      this.index = next.index;
      await this.save();
    } finally {
      this.next = null;
    }
    this.lastRebuild = { at: new Date().toISOString(), count: this.index.size, ms: Math.round(performance.now() - t0) };
    this.log.info('vector index rebuilt', { ...this.lastRebuild, background });
  }

  /** How far a background rebuild is, or null when none runs. */
  get rebuilding(): { done: number; of: number } | null {
    return this.next && { done: this.next.done, of: this.next.of };
  }

  /** Resolves when no rebuild is running (at once when none was started). */
  ready(): Promise<void> {
    return this.background;
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
    (this.next?.index ?? this.index).add(key, vector);
    this.packed = null;
    this.scheduleSave();
  }

  remove(key: bigint): void {
    this.index.remove(key);
    if (this.next) {
      this.next.index.remove(key);
      this.next.removed.add(key);
    }
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
    // While a rebuild fills the file beside the index too, DuckDB's vectors are the ones to trust.
    if (this.next) return this.exactInDb(q, o);
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
    return this.exactInDb(q, o);
  }

  private async exactInDb(q: Float32Array, o: SearchOptions): Promise<Scored[]> {
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
    this.saveTimer = this.timers.set(
      () => {
        this.saveTimer = null;
        void this.flush();
      },
      Math.max(SAVE_AFTER_MS, SAVE_SPACING * this.lastSaveMs),
    );
  }

  private async save(): Promise<void> {
    const t0 = performance.now();
    await this.index.save(this.path);
    this.lastSaveMs = performance.now() - t0;
  }

  /** Stop a background rebuild, save what changed and let go of the vector file. */
  async close(): Promise<void> {
    this.stopping = true;
    await this.background;
    await this.flush();
    this.vectors.close();
  }

  async flush(): Promise<void> {
    if (this.saveTimer) {
      this.timers.clear(this.saveTimer);
      this.saveTimer = null;
    }
    // A rebuild saves its own index when it is done; the one it replaces is not worth a save.
    if (!this.dirty || this.next) return;
    this.dirty = false;
    try {
      this.vectors.sync();
      await this.save();
    } catch (e) {
      this.dirty = true;
      this.log.error('vector index save failed; it will be rebuilt at next start if needed', { error: e });
    }
  }
}

/** The rows at these positions of a packed matrix, packed again. */
function pick(matrix: Float32Array, rows: number[], dims: number): Float32Array {
  const out = new Float32Array(rows.length * dims);
  for (const [i, r] of rows.entries()) out.set(matrix.subarray(r * dims, (r + 1) * dims), i * dims);
  return out;
}
