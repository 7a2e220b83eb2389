/**
 * @module Synthetic vector search: N clustered 1280-d vectors generated in DuckDB (deterministic),
 * the HNSW index built from the same rows, and three searches compared on held-out queries: HNSW,
 * exact brute force (usearch's SIMD exactSearch) and exact DuckDB (array_cosine_similarity), the
 * appliance's reference. Reports build time, p50/p95 latency and recall@10 against exact.
 */
import usearch, { type MetricKind, type Matches } from 'usearch';
import { Db } from '../appliance/store/duckdb';
import { VectorIndex } from '../appliance/search/usearch';
import { median, percentile, ms, row, timeEach } from './lib/stats';

const D = 1280;
const CLUSTERS = 200;

/** A vector of cluster i % CLUSTERS plus noise, from hashes: same numbers on every run. */
const gen = (from: number, to: number) => `
  SELECT i AS k, list_transform(range(${D}), j ->
    ((hash((i % ${CLUSTERS}) * ${D} + j) % 2000)::FLOAT / 1000 - 1)
    + 0.6 * ((hash(i * ${D} + j + 977) % 2000)::FLOAT / 1000 - 1))::FLOAT[${D}] AS v
  FROM range(${from}, ${to}) t(i)`;

export async function syntheticSearch(n: number, queries: number, dbPath: string): Promise<string[]> {
  const db = await Db.open(dbPath);
  await db.run(`CREATE OR REPLACE TABLE vecs AS ${gen(0, n)}`);
  await db.run(`CREATE OR REPLACE TABLE queries AS ${gen(10_000_000, 10_000_000 + queries)}`);

  // Build the index from the rows, in pages, as a rebuild at start does.
  const index = new VectorIndex({ dims: D, connectivity: 16, expansionAdd: 128, expansionSearch: 128 });
  // Brute force needs every vector in one matrix; past 1 GB (JS typed arrays cap near 4 GB) the
  // reference becomes exact DuckDB search alone.
  const all = n * D * 4 <= 1e9 ? new Float32Array(n * D) : null;
  let tRead = 0;
  let tBuild = 0;
  const PAGE = 5000;
  for (let off = 0; off < n; off += PAGE) {
    const t0 = performance.now();
    const rows = await db.all<{ k: bigint; v: number[] }>(
      `SELECT k, v::FLOAT[] AS v FROM vecs WHERE k >= ${off} AND k < ${off + PAGE} ORDER BY k`,
    );
    const page = new Float32Array(rows.length * D);
    for (const [i, r] of rows.entries()) page.set(r.v, i * D);
    all?.set(page, off * D);
    const t1 = performance.now();
    index.addMany(
      BigUint64Array.from(rows, (r) => BigInt(r.k)),
      page,
    );
    tBuild += performance.now() - t1;
    tRead += t1 - t0;
  }

  const qs = (await db.all<{ v: number[] }>('SELECT v::FLOAT[] AS v FROM queries ORDER BY k')).map((r) =>
    Float32Array.from(r.v),
  );
  for (let i = 0; i < 5; i++) index.search(qs[i % qs.length]!, 10); // warm-up

  const hnswHits: bigint[][] = [];
  const tHnsw = await timeEach(qs, (q) => {
    hnswHits.push(index.search(q, 10).map((h) => h.key));
  });
  const bruteHits: bigint[][] = [];
  const tBrute = all
    ? await timeEach(qs, (q) => {
        const m = usearch.exactSearch(all, q, D, 10, 'cos' as MetricKind);
        bruteHits.push(Array.from((m as Matches).keys));
      })
    : [];
  const duckQs = qs.slice(0, Math.min(qs.length, n >= 1_000_000 ? 10 : n >= 100_000 ? 20 : 50));
  const duckHits: bigint[][] = [];
  const tDuck = await timeEach(duckQs, async (q) => {
    const rows = await db.all<{ k: bigint }>(
      `SELECT k FROM vecs ORDER BY array_cosine_similarity(v, $1::FLOAT[${D}]) DESC LIMIT 10`,
      [q],
    );
    duckHits.push(rows.map((r) => r.k));
  });
  const recall = (a: bigint[][], truth: bigint[][]) =>
    truth.reduce((s, t, i) => s + t.filter((k) => a[i]!.includes(k)).length / t.length, 0) / truth.length;
  db.close();

  const rss = process.memoryUsage().rss / 1e6;
  const name = `synthetic ${n.toLocaleString('en')}`;
  const hnswRecall = all ? recall(hnswHits, bruteHits) : recall(hnswHits.slice(0, duckHits.length), duckHits);
  return [
    row([
      name,
      'HNSW (usearch, M=16, ef=128)',
      ms(median(tHnsw)),
      ms(percentile(tHnsw, 95)),
      `${hnswRecall.toFixed(3)}${all ? '' : ` (vs DuckDB, ${duckHits.length} queries)`}`,
      `build ${(tBuild / 1000).toFixed(1)} s (+ read from DuckDB ${(tRead / 1000).toFixed(1)} s), RSS ${rss.toFixed(0)} MB`,
    ]),
    ...(all
      ? [
          row([
            name,
            'exact brute force (usearch SIMD)',
            ms(median(tBrute)),
            ms(percentile(tBrute, 95)),
            '1 (reference)',
            `HNSW p50 is ${(median(tBrute) / median(tHnsw)).toFixed(0)}x faster`,
          ]),
        ]
      : []),
    row([
      name,
      `exact DuckDB array_cosine_similarity (${duckQs.length} queries)`,
      ms(median(tDuck)),
      ms(percentile(tDuck, 95)),
      all ? recall(bruteHits.slice(0, duckHits.length), duckHits).toFixed(3) : '1 (reference)',
      `HNSW p50 is ${(median(tDuck) / median(tHnsw)).toFixed(0)}x faster`,
    ]),
  ];
}
