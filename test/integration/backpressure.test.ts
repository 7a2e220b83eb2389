/**
 * Inference slower than decode: two live-paced 1080p60 streams asked to analyse every frame on a
 * 2-core CPU. The queues must drop (and count) instead of growing.
 */
import { expect, test } from 'bun:test';
import { startAppliance, stream, tempDir, waitFor } from '../helpers/fixtures';
import { testPatternClip } from '../helpers/media';

test('when inference cannot keep up, frames are dropped and counted, and queues stay bounded', async () => {
  await using dir = await tempDir();
  const clip = await testPatternClip(dir.path, { seconds: 6, preset: 'ultrafast' });
  const s = (id: string) =>
    stream({
      id,
      url: clip,
      pipeline: 'objects',
      fps: 60,
      realtime: true,
      queue: 2,
      overrides: { 'events.count': false },
    });
  await using app = await startAppliance({ streams: [s('one'), s('two')] });
  const depths: number[] = [];
  const rss: number[] = [];
  await waitFor(
    () => {
      const views = app.rt.streams.list();
      depths.push(...views.map((v) => v.queue_depth));
      rss.push(process.memoryUsage().rss);
      return views.every((v) => v.state === 'stopped');
    },
    60_000,
    'both clips to end',
  );
  const views = app.rt.streams.list();
  for (const v of views) {
    // Every decoded frame was either analysed or dropped (none lost, none queued for ever).
    expect(v.frames_decoded).toBe(v.frames_analysed + v.dropped);
  }
  const dropped = views.reduce((n, v) => n + v.dropped, 0);
  expect([dropped, Math.max(...depths), views.every((v) => v.frames_decoded >= 300)]).toEqual([
    expect.above(0),
    expect.atMost(2),
    true,
  ]);
  // Memory: no growth with the backlog (a 1080p60 backlog of 6 s would be gigabytes of frames).
  expect((Math.max(...rss) - rss[0]!) / 1e6).toBeLessThan(400);
}, 120_000);
