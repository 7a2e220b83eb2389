/**
 * The load and scale harnesses of bench/ run, at a small size, to prove they work: every row
 * carries a figure and no request failed. The figures themselves come only from `bun bench/run.ts`
 * (on a quiet machine, medians), never from here.
 */
import { describe, expect, test } from 'bun:test';
import { tempDir } from '../helpers/fixtures';

/** The cells of a markdown row. */
const cells = (line: string) =>
  line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());

describe('bench harnesses at a small size', () => {
  test('bench/api: every route at 2, 8 and 32 connections answers, none with an error; the bare baselines measure', async () => {
    process.env.BENCH_API_S = '1';
    process.env.BENCH_API_IMAGES = '3';
    const { apiBench } = await import('../../bench/api');
    const rows = (await apiBench()).map(cells);
    const routes = rows.filter((r) => r[0]!.startsWith('GET') || r[0]!.startsWith('POST'));
    expect({
      routes: routes.length,
      answered: routes.every((r) => Number(r[2]) > 0),
      // The bare HTTP server's cells count their errors too.
      errors: rows.filter((r) => r[5] && r[5] !== '0').map((r) => `${r[0]} at ${r[1]}: ${r[5]}`),
      bare: rows.filter((r) => r[0]!.startsWith('bare') && Number(r[2]) > 0).length,
    }).toEqual({ routes: 12, answered: true, errors: [], bare: 11 });
  }, 180_000);

  test('bench/search-synthetic: both kinds of data, recall measured against brute force', async () => {
    const { syntheticSearch } = await import('../../bench/search-synthetic');
    await using dir = await tempDir();
    const rows = [
      ...(await syntheticSearch(2000, 20, dir.path, 'manifold')),
      ...(await syntheticSearch(2000, 20, dir.path, 'noise')),
    ].map(cells);
    const fovea = rows.filter((r) => r[1]!.startsWith("fovea's index"));
    // At 2,000 vectors the index finds nearly every true neighbour.
    expect(fovea.map((r) => [r[0]!.split(' ')[0], Number(r[4]) >= 0.95])).toEqual([
      ['manifold', true],
      ['noise', true],
    ]);
  }, 180_000);
});
