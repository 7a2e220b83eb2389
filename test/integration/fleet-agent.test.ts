/**
 * The fleet agent in a real appliance process, following a bare Git repo on disk: a pipeline change
 * applied live while the other stream runs on untouched, an invalid change rejected with file:line,
 * a change that fails at run time rolled back within the grace period, a non-stream change applied
 * by an in-process restart on the same port, the revision on every stored event, signed commits.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ensureModel, MODELS_DIR, tempDir, VIDEOS, waitFor } from '../helpers/fixtures';
import { mkdir, symlink } from 'node:fs/promises';
import { spawnFovea } from '../helpers/process';
import { fleetRepo, signingKey } from '../helpers/fleet-repo';
import { startMosquitto } from '../helpers/mosquitto';
import mqtt from 'mqtt';
import type { FleetStatus } from '../../appliance/fleet/agent';
import type { StreamView } from '../../appliance/ingest/stream';

const VIDEO = join(VIDEOS, 'one-by-one-person-detection.mp4');
const PEOPLE = readFileSync(join(import.meta.dir, '../../appliance/pipeline/builtin/people.yaml'), 'utf8');

/** Every box of these tests: API on any port with no key, CPU inference. */
const fleetYaml = (extra: Record<string, unknown> = {}) => ({
  branch: 'main',
  config: {
    api: { port: 0, auth: false, rate_limit_per_minute: 1_000_000 },
    models: { providers: ['cpu'] },
    log: { level: 'info' },
    ...extra,
  },
});
const live = (id: string, pipeline: string, url = VIDEO) => ({ id, url, pipeline, fps: 2, loop: true, realtime: true });

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
/** The status after a sync that starts now; a change that restarts the runtime answers early, so poll until idle. */
async function syncNow(url: string): Promise<FleetStatus> {
  const s = (await (await fetch(`${url}/api/fleet/sync?wait=true`, { method: 'POST' })).json()) as FleetStatus;
  if (s.state === 'idle') return s;
  return waitFor(
    async () => {
      try {
        const x = await get<FleetStatus>(`${url}/api/fleet`);
        return x.state === 'idle' && x;
      } catch {
        return null;
      }
    },
    60_000,
    'the sync over',
  );
}
const streamsOf = async (url: string) =>
  new Map((await get<{ items: StreamView[] }>(`${url}/api/streams`)).items.map((s) => [s.id, s]));

test('pushes roll out: live pipeline swap, invalid change rejected, run-time failure rolled back, restart-only keys, revision stamps', async () => {
  await ensureModel();
  await using dir = await tempDir();
  const repo = await fleetRepo(dir.path);
  const sha1 = await repo.commit('two streams', {
    'fleet.yaml': fleetYaml(),
    'pipelines/door.yaml': PEOPLE,
    'devices/box-a.yaml': { streams: [live('door', 'door'), live('hall', 'people')] },
  });
  await using box = await spawnFovea(join(dir.path, 'state'), {
    device_id: 'box-a',
    fleet: { repo: repo.remote, interval_s: 3600, grace_s: 10 },
  });

  // 1. The first revision: applied (a restart of the runtime: it replaces the local config), same port.
  const s1 = await waitFor(
    async () => {
      try {
        const s = await get<FleetStatus>(`${box.url}/api/fleet`);
        return s.applied?.sha === sha1 && s.state === 'idle' && s;
      } catch {
        return null;
      }
    },
    60_000,
    'revision 1 applied',
  );
  expect(s1.history.map((h) => [h.sha, h.state])).toEqual([[sha1, 'applied']]);
  const event = await waitFor(
    async () => (await get<{ items: Array<{ revision: string | null }> }>(`${box.url}/api/events?limit=1`)).items[0],
    60_000,
    'an event',
  );
  expect(event.revision).toBe(sha1);

  // 2. A pipeline change for door only: swapped live; hall keeps its decoder, its counters and every frame.
  const before = await streamsOf(box.url);
  const sha2 = await repo.commit('door: stricter score', {
    'pipelines/door.yaml': PEOPLE.replace('score: 0.3', 'score: 0.4'),
  });
  const s2 = await syncNow(box.url);
  expect([s2.applied?.sha, s2.history[0]!.state]).toEqual([sha2, 'applied']);
  const hb = before.get('hall')!;
  // The swap takes milliseconds, less than a frame at 2 fps: wait for hall's next results.
  await waitFor(
    async () => (await streamsOf(box.url)).get('hall')!.frames_analysed > hb.frames_analysed + 2,
    10_000,
    'hall analysing on',
  );
  const after = await streamsOf(box.url);
  const ha = after.get('hall')!;
  expect({
    restarts: ha.restarts,
    since: ha.since,
    dropped: ha.dropped,
    grew: ha.frames_analysed > hb.frames_analysed,
    decodedOn: ha.frames_decoded > hb.frames_decoded,
  }).toEqual({ restarts: hb.restarts, since: hb.since, dropped: 0, grew: true, decodedOn: true });
  expect(after.get('door')!.restarts).toBe(before.get('door')!.restarts); // same decode size: only the pipeline swapped

  // 3. An invalid change: rejected with file:line, nothing changes.
  const sha3 = await repo.commit('typo', {
    'devices/box-a.yaml': { streams: [live('door', 'door'), { ...live('hall', 'people'), fps: 'fast' }] },
  });
  const s3 = await syncNow(box.url);
  expect([s3.applied?.sha, s3.last_error?.sha, s3.last_error?.state]).toEqual([sha2, sha3, 'rejected']);
  expect(s3.last_error!.problems.some((p) => /^devices\/box-a\.yaml:\d+: \/streams\/1\/fps: /.test(p))).toBe(true);
  expect((await streamsOf(box.url)).get('hall')!.since).toBe(ha.since);

  // 4. A change that fails at run time (a camera that refuses): rolled back by itself within grace_s.
  const sha4 = await repo.commit('hall to a camera that is not there', {
    'devices/box-a.yaml': { streams: [live('door', 'door'), live('hall', 'people', 'rtsp://127.0.0.1:9/stream')] },
  });
  const t4 = Date.now();
  const s4 = await syncNow(box.url);
  expect([s4.applied?.sha, s4.last_error?.sha, s4.last_error?.state]).toEqual([sha2, sha4, 'rolled_back']);
  expect(s4.last_error!.message).toContain('hall:');
  expect(Date.now() - t4).toBeLessThan(30_000);
  const back = await waitFor(
    async () => {
      const h = (await streamsOf(box.url)).get('hall')!;
      return h.state === 'running' && h.url === VIDEO && h;
    },
    30_000,
    'hall back on the video',
  );
  expect(back.pipeline).toBe('people');
  // The failed revision is not tried again.
  expect((await syncNow(box.url)).history.filter((h) => h.sha === sha4).length).toBe(1);

  // 5. A key other than streams: the runtime restarts in the process, on the same port.
  const sha5 = await repo.commit('wider search', {
    'devices/box-a.yaml': { streams: [live('door', 'door'), live('hall', 'people')] },
    'fleet.yaml': fleetYaml({ search: { expansion_search: 64 } }),
  });
  const s5 = await syncNow(box.url);
  expect([s5.applied?.sha, s5.state]).toEqual([sha5, 'idle']);
  expect([...(await streamsOf(box.url)).values()].map((s) => s.state)).toEqual(['running', 'running']);

  // 6. After a restart of the process it runs the last good revision straight away, before any fetch.
  await box.kill('SIGTERM');
  await using again = await spawnFovea(join(dir.path, 'state'), {
    device_id: 'box-a',
    fleet: { repo: join(dir.path, 'gone.git'), interval_s: 3600, grace_s: 10 },
  });
  const s6 = await waitFor(
    async () => {
      const s = await get<FleetStatus>(`${again.url}/api/fleet`);
      return s.state === 'offline' && s;
    },
    30_000,
    'offline: the repo is gone',
  );
  expect([s6.applied?.sha, (await streamsOf(again.url)).size]).toEqual([sha5, 2]);
}, 240_000);

test('require_signed: an unsigned commit is not applied, a commit signed by an allowed key is', async () => {
  await ensureModel();
  await using dir = await tempDir();
  const repo = await fleetRepo(dir.path);
  const ops = await signingKey(dir.path, 'ops');
  const other = await signingKey(dir.path, 'intruder');
  const unsigned = await repo.commit('unsigned', { 'fleet.yaml': fleetYaml(), 'devices/box-s.yaml': { streams: [] } });
  await using box = await spawnFovea(join(dir.path, 'state'), {
    device_id: 'box-s',
    api: { auth: false },
    fleet: {
      repo: repo.remote,
      interval_s: 3600,
      grace_s: 5,
      require_signed: true,
      allowed_signers: ops.allowedSigners,
    },
  });
  const s1 = await waitFor(
    async () => {
      const s = await get<FleetStatus>(`${box.url}/api/fleet`);
      return s.last_error?.sha === unsigned && s;
    },
    30_000,
    'the unsigned commit refused',
  );
  expect([s1.applied, s1.last_error!.state, s1.last_error!.message]).toEqual([
    null,
    'rejected',
    expect.stringContaining('not signed by an allowed key'),
  ]);
  const wrongKey = await repo.commit('signed by someone else', {}, { sign: other.key });
  expect((await syncNow(box.url)).last_error?.sha).toBe(wrongKey);
  const good = await repo.commit('signed by ops', {}, { sign: ops.key });
  const s3 = await syncNow(box.url);
  expect([s3.applied?.sha, s3.history[0]!.state]).toEqual([good, 'applied']);
}, 120_000);

test('MQTT: a message on the fleet-wide sync topic rolls a push out at once; the status is retained', async () => {
  await ensureModel();
  await using broker = await startMosquitto();
  await using dir = await tempDir();
  const repo = await fleetRepo(dir.path);
  const fleet = fleetYaml({ mqtt: { url: broker.url, stats_interval_s: 3600 } });
  const sha1 = await repo.commit('one', { 'fleet.yaml': fleet, 'devices/box-m.yaml': { streams: [] } });
  await using box = await spawnFovea(join(dir.path, 'state'), {
    device_id: 'box-m',
    api: { auth: false },
    mqtt: { url: broker.url },
    fleet: { repo: repo.remote, interval_s: 3600, grace_s: 5 },
  });
  const sub = await mqtt.connectAsync(broker.url);
  await using _s = { [Symbol.asyncDispose]: () => sub.endAsync() };
  const statuses: FleetStatus[] = [];
  sub.on('message', (topic, payload) => {
    if (topic === 'fovea/box-m/fleet') statuses.push(JSON.parse(payload.toString()) as FleetStatus);
  });
  await sub.subscribeAsync('fovea/box-m/fleet', { qos: 1 });
  await waitFor(
    () => statuses.some((s) => s.applied?.sha === sha1 && s.state === 'idle'),
    60_000,
    'the retained status with revision 1',
  );

  // No poll for an hour: the trigger is what makes the box fetch.
  const sha2 = await repo.commit('two', { 'fleet.yaml': { ...fleet, description: 'changed' } });
  await sub.publishAsync('fovea/fleet/sync', 'push', { qos: 1 });
  await waitFor(
    () => statuses.some((s) => s.applied?.sha === sha2 && s.state === 'idle'),
    30_000,
    'revision 2 applied after the trigger',
  );
  expect((await get<FleetStatus>(`${box.url}/api/fleet`)).applied?.sha).toBe(sha2);
}, 120_000);

test('a group follows its own branch (canary); a model file missing on the box rejects the revision with the box untouched', async () => {
  await ensureModel();
  await using dir = await tempDir();
  const repo = await fleetRepo(dir.path);
  // This box has the embedding and YOLOX files only.
  const models = join(dir.path, 'models');
  await mkdir(models);
  for (const f of ['mobilenetv2-12-int8-embed.onnx', 'yolox_nano_416.onnx'])
    await symlink(join(MODELS_DIR, f), join(models, f));
  const files = {
    'fleet.yaml': fleetYaml(),
    'groups/canary.yaml': { branch: 'canary' },
    'devices/box-c.yaml': { groups: ['canary'], streams: [] },
  };
  const onMain = await repo.commit('main', files);
  const onCanary = await repo.commit(
    'canary',
    { ...files, 'fleet.yaml': { ...fleetYaml(), description: 'canary change' } },
    { branch: 'canary' },
  );
  await using box = await spawnFovea(join(dir.path, 'state'), {
    device_id: 'box-c',
    api: { auth: false },
    models: { dir: models, providers: ['cpu'] },
    fleet: { repo: repo.remote, interval_s: 3600, grace_s: 5 },
  });
  const s1 = await waitFor(
    async () => {
      try {
        const s = await get<FleetStatus>(`${box.url}/api/fleet`);
        return s.state === 'idle' && s.applied && s;
      } catch {
        return null;
      }
    },
    30_000,
    'the first revision applied',
  );
  expect([s1.applied!.sha, s1.applied!.branch, s1.applied!.sha === onMain]).toEqual([onCanary, 'canary', false]);

  const noModel = await repo.commit(
    'nanodet on the door',
    {
      'pipelines/door.yaml': PEOPLE.replace('yolox-nano@1', 'nanodet-m@1'),
      'devices/box-c.yaml': { groups: ['canary'], streams: [live('door', 'door')] },
    },
    { branch: 'canary' },
  );
  const s2 = await syncNow(box.url);
  expect([s2.applied?.sha, s2.last_error?.sha, s2.last_error?.state, (await streamsOf(box.url)).size]).toEqual([
    onCanary,
    noModel,
    'rejected',
    0,
  ]);
  expect(s2.last_error!.message).toContain('nanodet');
}, 120_000);

test('golden_gate: a revision whose golden clip breaks an expectation is rejected with its line; one that holds is applied', async () => {
  await ensureModel();
  await using dir = await tempDir();
  const repo = await fleetRepo(dir.path);
  const golden = (enters: number) =>
    [
      'clip:',
      `  path: ${join(VIDEOS, 'person-bicycle-car-detection_from-gif.mp4')}`,
      'pipeline: people',
      'overrides:',
      '  track.min_hits: 1',
      'expect:',
      '  - label: person',
      '    event: enter',
      `    count: ${enters}`,
    ].join('\n');
  const bad = await repo.commit('a clip that expects nine people', {
    'fleet.yaml': fleetYaml(),
    'devices/box-g.yaml': { streams: [] },
    'golden/gif.yaml': golden(9),
  });
  await using box = await spawnFovea(join(dir.path, 'state'), {
    device_id: 'box-g',
    api: { auth: false },
    fleet: { repo: repo.remote, interval_s: 3600, grace_s: 5, golden_gate: true },
  });
  const s1 = await waitFor(
    async () => {
      const s = await get<FleetStatus>(`${box.url}/api/fleet`);
      return s.last_error?.sha === bad && s.state === 'idle' && s;
    },
    60_000,
    'the revision rejected by its golden clip',
  );
  expect([s1.applied, s1.last_error!.state, s1.last_error!.message, s1.last_error!.problems]).toEqual([
    null,
    'rejected',
    'the revision fails its golden clips (1 problem)',
    ["golden/gif.yaml:7: /expect/0: expected 9 'enter' events of 'person', got 2"],
  ]);
  const good = await repo.commit('the clip has two people', { 'golden/gif.yaml': golden(2) });
  const s2 = await syncNow(box.url);
  expect([s2.applied?.sha, s2.history[0]!.state]).toEqual([good, 'applied']);
}, 120_000);
