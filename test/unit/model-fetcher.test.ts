/**
 * The first-run model fetcher with a scripted pull and fake time: one pull however many ask, progress
 * in the state, failures retried after 10, 20, 40 s… capped at 5 min, and the waiters resolved once
 * it succeeds.
 */
import { describe, expect, test } from 'bun:test';
import { builtinCatalog } from '../../appliance/models/catalog';
import { ModelFetcher, pullState } from '../../appliance/models/fetcher';
import type { PullOptions } from '../../appliance/models/pull';
import { configureLogs, createLogger } from '../../appliance/shared/log';
import { FakeTimers } from '../../appliance/shared/timers';
import { tempDir } from '../helpers/fixtures';

configureLogs({ level: 'error' });
const flush = () => new Promise((r) => setTimeout(r, 5));

describe('the model fetcher', () => {
  test('fails, retries with a doubling pause, reports progress, and resolves every waiter once', async () => {
    await using dir = await tempDir();
    const timers = new FakeTimers();
    const calls: string[] = [];
    let fail = 3;
    const fetcher = new ModelFetcher({
      catalog: builtinCatalog(),
      dir: dir.path,
      timers,
      log: createLogger(),
      pull: async (ref: string, o: PullOptions) => {
        calls.push(ref);
        o.progress?.(ref, 1_000_000, 4_000_000);
        if (fail-- > 0) throw new Error('HTTP 502');
      },
    });
    let resolved = 0;
    void fetcher.ready('yolox-nano@1').then(() => resolved++);
    void fetcher.ready('yolox-nano').then(() => resolved++);
    await flush();
    const first = fetcher.state('yolox-nano@1')!;
    const retries: number[] = [];
    for (let i = 0; i < 3 && fetcher.state('yolox-nano@1')!.state === 'failed'; i++) {
      const at = Date.parse(fetcher.state('yolox-nano@1')!.next_retry_at!);
      retries.push((at - timers.now()) / 1000);
      timers.advance(at - timers.now());
      await flush();
    }
    expect({
      first: { state: first.state, error: first.error, done: first.bytes_done, total: first.bytes_total },
      words: pullState(first),
      retries,
      calls: calls.length,
      resolved,
      now: fetcher.state('yolox-nano@1')!.state,
      present: fetcher.present('yolox-nano@1'),
    }).toEqual({
      first: { state: 'failed', error: 'HTTP 502', done: 1_000_000, total: 4_000_000 },
      words: expect.stringMatching(/^pulling yolox-nano@1 failed \(HTTP 502\); trying again at 1970-01-01T00:00:10/),
      retries: [10, 20, 40],
      calls: 4,
      resolved: 2,
      now: 'present',
      present: true,
    });
    fetcher.stop();
  });
});
