/**
 * @module bench review: the dashboard's Review queries at 100,000 stored events (GET /api/events
 * through the real API: newest page, a deep page, a stream+type filter, a zone filter), against a
 * bare DuckDB `SELECT … ORDER BY timestamp DESC LIMIT 50` on the same file in the same run.
 */
import { startAppliance, tempDir } from '../test/helpers/fixtures';
import { median, ms, percentile, row } from './lib/stats';
import type { EventRecord } from '../appliance/contracts/results';

const N = Number(process.env.FOVEA_BENCH_EVENTS ?? 100_000);
const RUNS = 30;

export async function reviewBench(): Promise<string[]> {
  await using dir = await tempDir('fovea-bench-');
  await using app = await startAppliance({}, dir.path);
  const t0 = Date.now() - N * 1000;
  const sessionId = Bun.randomUUIDv7();
  for (let i = 0; i < N; i++) {
    const e: EventRecord = {
      id: Bun.randomUUIDv7(),
      sessionId,
      revision: null,
      stream: `cam${i % 8}`,
      timestamp: new Date(t0 + i * 1000),
      event:
        i % 5 === 0
          ? { type: 'count', label: 'person', count: i % 7, ts: i }
          : { type: i % 2 ? 'enter' : 'leave', zone: `zone${i % 3}`, trackId: i, label: 'person', ts: i },
      snapshotKey: null,
      imageId: null,
    };
    void app.rt.sink.event(e);
    if (i % 5000 === 4999) await app.rt.sink.flush();
  }
  await app.rt.sink.flush();
  const stored = ((await (await app.api('/api/events?limit=1')).json()) as { total: number }).total;
  if (stored !== N) throw new Error(`bench review: ${stored} events stored, not ${N}`);
  const cases: Array<[string, string]> = [
    ['newest page', '/api/events?limit=50'],
    ['page 1000 (offset 49,950)', '/api/events?limit=50&page=1000'],
    ['stream + type filter', '/api/events?limit=50&stream=cam3&type=enter'],
    [
      'zone filter, a day back',
      `/api/events?limit=50&zone=zone1&to=${new Date(t0 + (N - 86_400) * 1000).toISOString()}`,
    ],
  ];
  const out: string[] = [];
  const bare: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    await app.rt.db.all('SELECT id FROM events ORDER BY timestamp DESC LIMIT 50');
    bare.push(performance.now() - t);
  }
  out.push(row([`${N} events`, 'bare DuckDB newest 50', ms(median(bare)), ms(percentile(bare, 95)), '', 'baseline']));
  for (const [what, path] of cases) {
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      const res = await app.api(path);
      await res.json();
      times.push(performance.now() - t);
    }
    out.push(
      row([
        `${N} events`,
        what,
        ms(median(times)),
        ms(percentile(times, 95)),
        '',
        `${(median(times) / median(bare)).toFixed(1)}× bare`,
      ]),
    );
  }
  return out;
}
