/**
 * @module A fleet on one machine: N appliance processes on loopback (own state dirs, ports and
 * device files, one looped video stream each) that follow the same fleet repo, and the measure of
 * how long after a push every box reports the new revision. Used by the fleet simulation test and
 * by bench/fleet.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { spawnFovea, type FoveaProcess } from './process';
import type { FleetRepo } from './fleet-repo';
import { VIDEOS } from './fixtures';
import type { FleetStatus } from '../../appliance/fleet/agent';

export const PEOPLE_PIPELINE = readFileSync(
  join(import.meta.dir, '../../appliance/pipeline/builtin/people.yaml'),
  'utf8',
);

/** The repo's files for `n` boxes named box-00 … box-NN, each with one stream through pipelines/door.yaml. */
export function fleetFiles(n: number, pipeline = PEOPLE_PIPELINE): Record<string, unknown> {
  const files: Record<string, unknown> = {
    'fleet.yaml': {
      branch: 'main',
      config: {
        api: { port: 0, auth: false, rate_limit_per_minute: 1_000_000 },
        models: { providers: ['cpu'], threads: 1 },
        log: { level: 'warn' },
      },
    },
    'pipelines/door.yaml': pipeline,
  };
  for (let i = 0; i < n; i++) {
    files[`devices/${boxName(i)}.yaml`] = {
      streams: [
        {
          id: 'door',
          url: join(VIDEOS, 'people-detection_from-gif.mp4'),
          pipeline: 'door',
          fps: 1,
          loop: true,
          realtime: true,
        },
      ],
    };
  }
  return files;
}

export const boxName = (i: number) => `box-${String(i).padStart(2, '0')}`;

export interface SimBox {
  id: string;
  p: FoveaProcess;
}

/** Start `n` boxes following `repo`, `parallel` at a time (each start loads its models). */
export async function startBoxes(
  n: number,
  repo: FleetRepo,
  stateRoot: string,
  opts: { intervalS: number; parallel?: number },
): Promise<SimBox[]> {
  const boxes: SimBox[] = [];
  const queue = Array.from({ length: n }, (_, i) => i);
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const id = boxName(i);
      // Info until the first revision: the URL is read from the 'fovea serving' line.
      const p = await spawnFovea(join(stateRoot, id), {
        device_id: id,
        api: { auth: false },
        fleet: { repo: repo.remote, interval_s: opts.intervalS, grace_s: 60 },
      });
      boxes.push({ id, p });
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.parallel ?? 4 }, worker));
  } catch (e) {
    await Promise.all(boxes.map((b) => b.p[Symbol.asyncDispose]()));
    throw e;
  }
  return boxes.sort((a, b) => a.id.localeCompare(b.id));
}

export async function fleetStatus(url: string): Promise<FleetStatus | null> {
  try {
    const res = await fetch(`${url}/api/fleet`);
    return res.ok ? ((await res.json()) as FleetStatus) : null;
  } catch {
    return null; // restarting its runtime
  }
}

/**
 * Milliseconds from `t0` until each box reports `sha` as applied (polled every 200 ms), in box
 * order; throws with the laggards after `timeoutMs`.
 */
export async function convergence(
  boxes: Array<{ id: string; url: string }>,
  sha: string,
  t0: number,
  timeoutMs: number,
  status = fleetStatus,
): Promise<number[]> {
  const done = new Map<string, number>();
  while (done.size < boxes.length) {
    if (performance.now() - t0 > timeoutMs) {
      const late = boxes.filter((b) => !done.has(b.id)).map((b) => b.id);
      throw new Error(
        `${late.length} boxes did not apply ${sha.slice(0, 12)} within ${timeoutMs} ms: ${late.join(', ')}`,
      );
    }
    await Promise.all(
      boxes
        .filter((b) => !done.has(b.id))
        .map(async (b) => {
          const s = await status(b.url);
          if (s?.applied?.sha === sha) done.set(b.id, performance.now() - t0);
        }),
    );
    await Bun.sleep(200);
  }
  return boxes.map((b) => done.get(b.id)!);
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
