/**
 * A fleet simulation: 20 appliance processes on loopback, each with its own state dir, port,
 * device file and a looped video, follow one fleet repo. A push of a pipeline change reaches all
 * of them within one poll interval plus the apply; the convergence times are printed.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { ensureModel, tempDir } from '../helpers/fixtures';
import { fleetRepo } from '../helpers/fleet-repo';
import { convergence, fleetFiles, median, PEOPLE_PIPELINE, startBoxes } from '../helpers/fleet-sim';

const N = 20;
const INTERVAL_S = 5;

test(`${N} boxes pull one repo; after a push every box reports the new revision`, async () => {
  await ensureModel();
  await using dir = await tempDir();
  const repo = await fleetRepo(dir.path);
  const first = await repo.commit('twenty boxes', fleetFiles(N));
  const boxes = await startBoxes(N, repo, join(dir.path, 'boxes'), { intervalS: INTERVAL_S });
  await using _kill = {
    [Symbol.asyncDispose]: async () => {
      await Promise.all(boxes.map((b) => b.p[Symbol.asyncDispose]()));
    },
  };
  const urls = boxes.map((b) => ({ id: b.id, url: b.p.url }));
  await convergence(urls, first, performance.now(), 180_000);

  const t0 = performance.now();
  const second = await repo.commit('door: stricter score', {
    'pipelines/door.yaml': PEOPLE_PIPELINE.replace('score: 0.3', 'score: 0.35'),
  });
  const ms = await convergence(urls, second, t0, 120_000);
  console.log(
    `fleet of ${N}: converged in median ${Math.round(median(ms))} ms, max ${Math.round(Math.max(...ms))} ms (poll every ${INTERVAL_S} s)`,
  );
  expect(ms.length).toBe(N);
  // One poll interval, plus the apply and the health gate (the stream's next frame at 1 fps), on 2 cores shared by 20 boxes.
  expect(Math.max(...ms)).toBeLessThan((INTERVAL_S + 30) * 1000);
}, 600_000);
