/**
 * @module Fleet roll-out on one machine. (1) 20 real appliance processes (a looped video each)
 * follow one bare repo, polling every 5 s: convergence after a push of a pipeline change (median
 * and max over the boxes, 3 pushes), each box's apply and health-gate times, and the rollback of a
 * change that fails at run time on one box. (2) 20 and 100 fleet agents in this process, each with
 * its own mirror, real `git fetch`, render and checks, but a host that applies at once: what the
 * repo and the pulling cost at a size whose 100 appliances would not fit in this machine's memory
 * (about 180 MB each at idle). The bare baseline is a loop of `git fetch` alone by as many clients.
 */
import { join } from 'node:path';
import { builtinCatalog } from '../appliance/models/catalog';
import { FleetAgent, type FleetHost } from '../appliance/fleet/agent';
import { Git } from '../appliance/fleet/git';
import { StateFile } from '../appliance/fleet/state';
import { createLogger } from '../appliance/shared/log';
import { Value } from '@sinclair/typebox/value';
import { Config } from '../appliance/config/schema';
import { ensureModel, tempDir } from '../test/helpers/fixtures';
import { fleetRepo, type FleetRepo } from '../test/helpers/fleet-repo';
import {
  boxName,
  convergence,
  fleetFiles,
  fleetStatus,
  median,
  PEOPLE_PIPELINE,
  startBoxes,
} from '../test/helpers/fleet-sim';
import { spawnFovea } from '../test/helpers/process';
import { row } from './lib/stats';

const INTERVAL_S = 5;
const s = (ms: number) => (ms / 1000).toFixed(1);

async function realBoxes(dir: string, n: number): Promise<string[]> {
  const repo = await fleetRepo(join(dir, 'real'));
  const first = await repo.commit('boxes', fleetFiles(n));
  const boxes = await startBoxes(n, repo, join(dir, 'real-boxes'), { intervalS: INTERVAL_S });
  const out: string[] = [];
  try {
    const urls = boxes.map((b) => ({ id: b.id, url: b.p.url }));
    await convergence(urls, first, performance.now(), 300_000);
    const medians: number[] = [];
    const maxes: number[] = [];
    const apply: number[] = [];
    const gate: number[] = [];
    for (let push = 0; push < 3; push++) {
      const t0 = performance.now();
      const sha = await repo.commit(`score ${push}`, {
        'pipelines/door.yaml': PEOPLE_PIPELINE.replace('score: 0.3', `score: 0.3${push + 1}`),
      });
      const ms = await convergence(urls, sha, t0, 120_000);
      medians.push(median(ms));
      maxes.push(Math.max(...ms));
      for (const b of urls) {
        const h = (await fleetStatus(b.url))!.history.find((x) => x.sha === sha)!;
        apply.push(h.apply_ms ?? 0);
        gate.push(h.duration_ms - (h.apply_ms ?? 0));
      }
    }
    out.push(
      row([
        `${n} appliances`,
        `push -> every box applied (pipeline swap), poll ${INTERVAL_S} s`,
        s(median(medians)),
        s(median(maxes)),
        `3 pushes; medians ${medians.map(s).join(', ')} s; max ${maxes.map(s).join(', ')} s`,
      ]),
    );
    out.push(
      row([
        `${n} appliances`,
        'apply of a one-stream pipeline change (build + swap)',
        (median(apply) / 1000).toFixed(3),
        (Math.max(...apply) / 1000).toFixed(3),
        `${apply.length} applies`,
      ]),
    );
    out.push(
      row([`${n} appliances`, 'health gate (next analysed frame at 1 fps)', s(median(gate)), s(Math.max(...gate)), '']),
    );
  } finally {
    await Promise.all(boxes.map((b) => b.p[Symbol.asyncDispose]()));
  }
  return out;
}

async function rollback(dir: string): Promise<string> {
  const repo = await fleetRepo(join(dir, 'rb'));
  await repo.commit('one box', fleetFiles(1));
  await using box = await spawnFovea(join(dir, 'rb-box'), {
    device_id: boxName(0),
    api: { auth: false },
    fleet: { repo: repo.remote, interval_s: 3600, grace_s: 5 },
  });
  const trigger = async () =>
    (await (await fetch(`${box.url}/api/fleet/sync?wait=true`, { method: 'POST' })).json()) as Awaited<
      ReturnType<typeof fleetStatus>
    >;
  await convergence([{ id: boxName(0), url: box.url }], await repo.git('rev-parse', 'HEAD'), performance.now(), 60_000);
  const ms: number[] = [];
  for (let i = 0; i < 3; i++) {
    const bad = await repo.commit(`camera gone ${i}`, {
      [`devices/${boxName(0)}.yaml`]: {
        streams: [{ id: 'door', url: `rtsp://127.0.0.1:9/gone${i}`, pipeline: 'door', fps: 1 }],
      },
    });
    const st = (await trigger())!;
    const h = st.history.find((x) => x.sha === bad)!;
    if (h.state !== 'rolled_back') throw new Error(`expected a rollback, got ${h.state}`);
    ms.push(h.rollback_ms!);
  }
  return row([
    '1 appliance',
    'rollback after a failed health gate (grace 5 s): re-apply of the last good revision',
    (median(ms) / 1000).toFixed(3),
    (Math.max(...ms) / 1000).toFixed(3),
    `3 rollbacks; from push to back: grace + ${ms.map((x) => (x / 1000).toFixed(2)).join(', ')} s`,
  ]);
}

/** A host that takes every config at once: the agents' own cost, without the appliance. */
function instantHost(): FleetHost {
  let current = { config: Value.Default(Config, {}) as Config, revision: null as string | null };
  return {
    current: () => current,
    apply: async (config, revision) => {
      current = { config, revision };
      return [];
    },
    probe: () => [],
  };
}

async function agents(dir: string, n: number): Promise<string[]> {
  const repo: FleetRepo = await fleetRepo(join(dir, `agents-${n}`));
  const first = await repo.commit('boxes', fleetFiles(n));
  const log = createLogger({ bench: true });
  const list = Array.from({ length: n }, (_, i) => {
    const id = boxName(i);
    const fleetDir = join(dir, `agents-${n}-state`, id);
    const local = Value.Default(Config, {
      device_id: id,
      fleet: { repo: repo.remote, interval_s: INTERVAL_S },
    }) as Config;
    // Start times spread over one interval, as boxes that booted at different times.
    return {
      id,
      agent: new FleetAgent({
        git: new Git(repo.remote, join(fleetDir, 'mirror.git')),
        host: instantHost(),
        local,
        device: id,
        catalog: builtinCatalog(),
        fleetDir,
        state: new StateFile(join(fleetDir, 'state.json')),
        log,
      }),
    };
  });
  for (const [i, a] of list.entries()) setTimeout(() => a.agent.start(), (i * INTERVAL_S * 1000) / n);
  const status = async (id: string) => list.find((a) => a.id === id)!.agent.view();
  const ids = list.map((a) => ({ id: a.id, url: a.id }));
  try {
    await convergence(ids, first, performance.now(), 300_000, status);
    const medians: number[] = [];
    const maxes: number[] = [];
    for (let push = 0; push < 3; push++) {
      const t0 = performance.now();
      const sha = await repo.commit(`score ${push}`, {
        'pipelines/door.yaml': PEOPLE_PIPELINE.replace('score: 0.3', `score: 0.3${push + 1}`),
      });
      const ms = await convergence(ids, sha, t0, 120_000, status);
      medians.push(median(ms));
      maxes.push(Math.max(...ms));
    }
    // The bare baseline: n clients each running `git fetch` once, all at once.
    const t0 = performance.now();
    await Promise.all(
      list.map(async (a) => {
        const p = Bun.spawn([
          'git',
          '--git-dir',
          join(dir, `agents-${n}-state`, a.id, 'mirror.git'),
          'fetch',
          '--quiet',
          repo.remote,
          '+refs/heads/*:refs/heads/*',
        ]);
        await p.exited;
      }),
    );
    const bare = performance.now() - t0;
    return [
      row([
        `${n} agents`,
        `push -> every agent applied, poll ${INTERVAL_S} s (real git fetch + render + checks, instant host)`,
        s(median(medians)),
        s(median(maxes)),
        `3 pushes; max ${maxes.map(s).join(', ')} s; ${n} bare git fetches at once: ${s(bare)} s`,
      ]),
    ];
  } finally {
    await Promise.all(list.map((a) => a.agent.stop()));
  }
}

export async function fleetBench(): Promise<string[]> {
  await ensureModel();
  await using dir = await tempDir('fovea-bench-fleet-');
  return [
    ...(await realBoxes(dir.path, 20)),
    await rollback(dir.path),
    ...(await agents(dir.path, 20)),
    ...(await agents(dir.path, 100)),
  ];
}
