/**
 * @module Synthetic vector search: N 1280-d vectors of one of two kinds, fed a chunk at a time, as a
 * rebuild feeds them, into the appliance's own index (usearch i8 with the float32 vectors in a file
 * beside it and the exact re-rank of a shortlist), and, up to 100,000, an f32 HNSW for comparison.
 * - `noise`: 200 centres plus independent noise, generated inside DuckDB and read back in chunks
 *   (the rebuild's read is timed, and exact search in DuckDB is the bare baseline);
 * - `manifold`: vectors near low-dimensional patches around 200 centres (bench/lib/manifold),
 *   generated in JavaScript, with the local intrinsic dimension of real embeddings' order.
 * 200 held-out queries; the truth is SIMD brute force over every vector, a chunk at a time (so it
 * also runs at 1,000,000). Reports the data's LID, build rate, index memory, save and load (the
 * restart), p50/p95 and recall@10.
 */
import usearch, { type MetricKind, type Matches } from 'usearch';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { Db } from '../appliance/store/duckdb';
import { VectorIndex } from '../appliance/search/usearch';
import { rerank } from '../appliance/search/service';
import { VectorFile } from '../appliance/search/vectors';
import { Manifold } from './lib/manifold';
import { median, percentile, ms, row, timeEach } from './lib/stats';

const D = 1280;
const CLUSTERS = 200;
/** Shortlist lengths to try (FOVEA_BENCH_RERANK=128,256,512); the appliance's default is the first. */
const RERANKS = (process.env.FOVEA_BENCH_RERANK ?? '128').split(',').map(Number);
/** The graph's connectivity and ef_add (FOVEA_BENCH_M, FOVEA_BENCH_EF_ADD); the appliance's defaults. */
const M = Number(process.env.FOVEA_BENCH_M ?? 32);
const EF_ADD = Number(process.env.FOVEA_BENCH_EF_ADD ?? 128);
/** ef at search time (FOVEA_BENCH_EF_SEARCH, the appliance's default 128); a longer shortlist raises it to its length. */
const EF_SEARCH = Number(process.env.FOVEA_BENCH_EF_SEARCH ?? 128);
export type DataKind = 'noise' | 'manifold';

/** A vector of cluster i % CLUSTERS plus noise, from hashes: same numbers on every run. */
const gen = (from: number, to: number) => `
  SELECT i AS k, list_transform(range(${D}), j ->
    ((hash((i % ${CLUSTERS}) * ${D} + j) % 2000)::FLOAT / 1000 - 1)
    + 0.6 * ((hash(i * ${D} + j + 977) % 2000)::FLOAT / 1000 - 1))::FLOAT[${D}] AS v
  FROM range(${from}, ${to}) t(i)`;

/** Top 20 per query (10 for recall, 20 for the LID), merged across chunks of the data set. */
class Truth {
  readonly best: Array<Array<{ k: bigint; s: number }>>;
  constructor(private readonly qs: Float32Array[]) {
    this.best = qs.map(() => []);
  }
  add(keys: BigUint64Array, matrix: Float32Array): void {
    for (const [i, q] of this.qs.entries()) {
      const m = usearch.exactSearch(matrix, q, D, Math.min(20, keys.length), 'cos' as MetricKind) as Matches;
      const merged = [
        ...this.best[i]!,
        ...Array.from(m.keys, (at, j) => ({ k: keys[Number(at)]!, s: 1 - m.distances[j]! })),
      ];
      this.best[i] = merged.sort((a, b) => b.s - a.s).slice(0, 20);
    }
  }
  keys = () => this.best.map((b) => b.slice(0, 10).map((x) => x.k));
  distances = () => this.best.map((b) => b.map((x) => 1 - x.s));
}

const recall = (a: bigint[][], truth: bigint[][]) =>
  truth.reduce((s, t, i) => s + t.filter((k) => a[i]!.includes(k)).length / t.length, 0) / truth.length;

/** The local intrinsic dimension of each query's neighbourhood (MLE over its 20 nearest), median. */
function lid(truthDistances: number[][]): number {
  const each = truthDistances.map((d) => {
    const r = d.map((x) => Math.sqrt(Math.max(2 * x, 1e-12)));
    const last = r[r.length - 1]!;
    return -(r.length - 1) / r.slice(0, -1).reduce((s, x) => s + Math.log(x / last), 0);
  });
  return median(each);
}

/** What a data set feeds the index: its queries, and its vectors a chunk at a time. */
interface Source {
  queries: Float32Array[];
  chunks(fn: (keys: BigUint64Array, matrix: Float32Array) => void): Promise<void>;
  /** Exact search outside the index (DuckDB), timed on a few queries as the bare baseline; null: none. */
  exact: ((q: Float32Array) => Promise<unknown>) | null;
  close(): void;
  generated: number;
}

async function noiseSource(n: number, queries: number, dir: string): Promise<Source> {
  const db = await Db.open(join(dir, 'v.duckdb'));
  const t = performance.now();
  await db.run(`CREATE OR REPLACE TABLE vecs AS ${gen(0, n)}`);
  await db.run(`CREATE OR REPLACE TABLE queries AS ${gen(10_000_000, 10_000_000 + queries)}`);
  const generated = performance.now() - t;
  const qs = (await db.all<{ v: number[] }>('SELECT v::FLOAT[] AS v FROM queries ORDER BY k')).map((r) =>
    Float32Array.from(r.v),
  );
  return {
    queries: qs,
    generated,
    chunks: (fn) => db.vectorChunks(`SELECT k, v FROM vecs ORDER BY k`, [], D, fn),
    exact: (q) => db.all(`SELECT k FROM vecs ORDER BY array_cosine_similarity(v, $1::FLOAT[${D}]) DESC LIMIT 10`, [q]),
    close: () => db.close(),
  };
}

function manifoldSource(n: number, queries: number): Source {
  const g = new Manifold(D);
  const CHUNK = 2048;
  return {
    queries: Array.from({ length: queries }, (_, i) => g.rows(10_000_000 + i, 10_000_001 + i)),
    generated: 0,
    async chunks(fn) {
      for (let from = 0; from < n; from += CHUNK) {
        const to = Math.min(n, from + CHUNK);
        const t = performance.now();
        const m = g.rows(from, to);
        this.generated += performance.now() - t;
        fn(
          BigUint64Array.from({ length: to - from }, (_, i) => BigInt(from + i)),
          m,
        );
      }
    },
    exact: null,
    close: () => {},
  };
}

export async function syntheticSearch(n: number, queries: number, dir: string, data: DataKind): Promise<string[]> {
  const source = data === 'noise' ? await noiseSource(n, queries, dir) : manifoldSource(n, queries);
  const qs = source.queries;
  const params = { dims: D, connectivity: M, expansionAdd: EF_ADD, expansionSearch: EF_SEARCH };
  const i8 = new VectorIndex({ ...params, quantization: 'i8' });
  const f32 = n <= 100_000 ? new VectorIndex(params) : null;
  const file = new VectorFile(join(dir, 'v.f32'), D);
  const truth = new Truth(qs);
  const took = { read: 0, i8: 0, f32: 0, file: 0, truth: 0 };
  const rss0 = process.memoryUsage().rss;
  let t0 = performance.now();
  await source.chunks((keys, matrix) => {
    const t1 = performance.now();
    took.read += t1 - t0;
    i8.addMany(keys, matrix);
    const t2 = performance.now();
    took.i8 += t2 - t1;
    file.writeMany(keys, matrix);
    const t3 = performance.now();
    took.file += t3 - t2;
    truth.add(keys, matrix);
    const t4 = performance.now();
    took.truth += t4 - t3;
    f32?.addMany(keys, matrix);
    t0 = performance.now();
    took.f32 += t0 - t4;
  });
  file.sync();
  const grew = (process.memoryUsage().rss - rss0) / 1e6;

  // The restart: save, then load into a fresh index.
  let t = performance.now();
  await i8.save(join(dir, 'v.usearch'));
  const tSave = performance.now() - t;
  const indexMb = statSync(join(dir, 'v.usearch')).size / 1e6;
  const loaded = new VectorIndex({ ...params, quantization: 'i8' });
  t = performance.now();
  const fp = await loaded.load(join(dir, 'v.usearch'));
  const tLoad = performance.now() - t;
  if (fp?.count !== n) throw new Error(`the saved index did not load: ${JSON.stringify(fp)}`);

  // As the appliance does it (search/service rerank).
  const reranked = (q: Float32Array, shortlist: number) =>
    rerank(
      file,
      q,
      loaded.search(q, shortlist).map((h) => h.key),
      10,
    ).map((h) => h.key);
  // Warm-up: every query once at the widest shortlist, so the pages of the vectors file the queries
  // touch are in the page cache as on a box that serves searches, whichever shortlist is measured first.
  for (const q of qs) reranked(q, Math.max(...RERANKS));
  const hits = { raw: [] as bigint[][], f32: [] as bigint[][] };
  const sweep: Array<{ shortlist: number; t: number[]; hits: bigint[][] }> = [];
  for (const shortlist of RERANKS) {
    const found: bigint[][] = [];
    sweep.push({ shortlist, t: await timeEach(qs, (q) => found.push(reranked(q, shortlist))), hits: found });
  }
  const tRaw = await timeEach(qs, (q) => hits.raw.push(loaded.search(q, 10).map((h) => h.key)));
  const tF32 = f32 ? await timeEach(qs, (q) => hits.f32.push(f32.search(q, 10).map((h) => h.key))) : [];
  const duckQs = source.exact ? qs.slice(0, n >= 1_000_000 ? 5 : n >= 100_000 ? 10 : 30) : [];
  const tDuck = await timeEach(duckQs, (q) => source.exact!(q));
  file.close();
  source.close();

  const name = `${data} ${n.toLocaleString('en')} (LID ${lid(truth.distances()).toFixed(0)})`;
  const reference = truth.keys();
  const rate = (msTotal: number) => `${Math.round(n / (msTotal / 1000)).toLocaleString('en')}/s`;
  return [
    ...sweep
      .slice(1)
      .map((w) =>
        row([
          name,
          `the same, re-rank of ${w.shortlist} (ef ${Math.max(EF_SEARCH, w.shortlist)})`,
          ms(median(w.t)),
          ms(percentile(w.t, 95)),
          recall(w.hits, reference).toFixed(3),
          '',
        ]),
      ),
    row([
      name,
      `fovea's index: usearch i8 (M=${M}, ef_add ${EF_ADD}) + exact re-rank of ${sweep[0]!.shortlist} from the .f32 file`,
      ms(median(sweep[0]!.t)),
      ms(percentile(sweep[0]!.t, 95)),
      recall(sweep[0]!.hits, reference).toFixed(3),
      `build ${(took.i8 / 1000).toFixed(1)} s (${rate(took.i8)}), index + vectors written ${(took.file / 1000).toFixed(1)} s, index ${indexMb.toFixed(0)} MB (RSS grew ${grew.toFixed(0)} MB${f32 ? ', the f32 comparison in it' : ''}); save ${(tSave / 1000).toFixed(1)} s, load ${(tLoad / 1000).toFixed(1)} s`,
    ]),
    row([
      name,
      'the same i8 index, no re-rank',
      ms(median(tRaw)),
      ms(percentile(tRaw, 95)),
      recall(hits.raw, reference).toFixed(3),
      'what quantisation alone loses',
    ]),
    ...(f32
      ? [
          row([
            name,
            `usearch f32 HNSW (M=${M}, ef_add ${EF_ADD})`,
            ms(median(tF32)),
            ms(percentile(tF32, 95)),
            recall(hits.f32, reference).toFixed(3),
            `build ${(took.f32 / 1000).toFixed(1)} s (${rate(took.f32)})`,
          ]),
        ]
      : []),
    row([
      name,
      source.exact
        ? `bare exact: DuckDB array_cosine_similarity (${duckQs.length} queries)`
        : 'bare exact: none (generated outside DuckDB)',
      duckQs.length ? ms(median(tDuck)) : '',
      duckQs.length ? ms(percentile(tDuck, 95)) : '',
      '1',
      `generated in ${(source.generated / 1000).toFixed(0)} s; ${source.exact ? `read back in chunks ${(took.read / 1000).toFixed(1)} s; ` : ''}brute-force truth ${(took.truth / 1000).toFixed(1)} s`,
    ]),
  ];
}
