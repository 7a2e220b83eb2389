/**
 * A classifier trained on one box goes to the fleet by Git (issue 33): `fovea classifiers export`
 * copies a saved head into the fleet repo's `classifiers/<name>/`; a push with a pipeline that uses
 * it (`classify@1`, `model: custom/<name>`) rolls out to a box, whose live overlay then carries the
 * sub-label; a card made for another embedding model is rejected with file:line, naming both, and the
 * box keeps running what it ran. The head here is trained on generated embeddings: this file tests
 * the roll-out, not the accuracy (test/integration/classifiers*.test.ts and bench do).
 */
import { expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureModel, MODELS_DIR, tempDir, VIDEOS, waitFor } from '../helpers/fixtures';
import { foveaCli, spawnFovea } from '../helpers/process';
import { fleetRepo } from '../helpers/fleet-repo';
import { train } from '../../appliance/classifiers/train';
import { headOnnx } from '../../appliance/classifiers/onnx';
import { builtinCatalog, findModel } from '../../appliance/models/catalog';
import type { FleetStatus } from '../../appliance/fleet/agent';

const VIDEO = join(VIDEOS, 'one-by-one-person-detection.mp4');

test('export a head into the fleet repo, roll it out with its pipeline; a head for another embedding model is rejected', async () => {
  await ensureModel();
  await using dir = await tempDir();
  // A saved classifier, as the Classifiers page leaves it under <state>/classifiers/<name>/.
  const trainer = join(dir.path, 'trainer');
  const saved = join(trainer, 'classifiers', 'visitor');
  await mkdir(saved, { recursive: true });
  let s = 11;
  const unit = () => {
    const v = Array.from({ length: 1280 }, () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647 - 0.5;
    });
    const n = Math.hypot(...v);
    return Float32Array.from(v, (x) => x / n);
  };
  const head = train([unit(), unit(), unit(), unit()], [0, 1, 0, 1], ['guest', 'staff'], { l2: 1e-3, iterations: 50 });
  const onnx = headOnnx(head, {});
  const embed = findModel(builtinCatalog(), 'mobilenetv2-embed@1');
  const card = {
    name: 'visitor',
    kind: 'object',
    classes: ['guest', 'staff'],
    object_label: 'person',
    stream: null,
    region: null,
    embedding_model: 'mobilenetv2-embed@1',
    embedding_sha256: embed.sha256,
    examples: { guest: 2, staff: 2 },
    evaluation: { folds: 2, accuracy: 0.5, classes: [], confusion: [] },
    onnx_sha256: createHash('sha256').update(onnx).digest('hex'),
    trained_at: new Date().toISOString(),
  };
  await Bun.write(join(saved, 'head.onnx'), onnx);
  await Bun.write(join(saved, 'card.json'), JSON.stringify(card));
  await Bun.write(join(trainer, 'fovea.yaml'), stringify({ state_dir: trainer, models: { dir: MODELS_DIR } }));

  const repo = await fleetRepo(dir.path);
  await Bun.write(join(repo.work, 'fleet.yaml'), stringify({ branch: 'main' }));
  const out = await foveaCli(['classifiers', 'export', 'visitor', repo.work, '--config', join(trainer, 'fovea.yaml')]);
  expect([out.code, out.out]).toEqual([
    0,
    expect.stringContaining('exported visitor (guest, staff; mobilenetv2-embed@1'),
  ]);
  expect(await readFile(join(repo.work, 'classifiers', 'visitor', 'head.onnx'))).toEqual(Buffer.from(onnx));
  const missing = await foveaCli([
    'classifiers',
    'export',
    'nobody',
    repo.work,
    '--config',
    join(trainer, 'fovea.yaml'),
  ]);
  expect([missing.code === 0, missing.err]).toEqual([false, expect.stringContaining('no saved classifier nobody')]);

  const pipeline = [
    'description: people, named guest or staff by a classifier trained on a box',
    'stages:',
    '  detect:',
    '    type: detect@1',
    '    options: { model: yolox-nano@1, score: 0.3, classes: [person] }',
    '  track:',
    '    type: track@1',
    '    needs: [detect]',
    '  visitor:',
    '    type: classify@1',
    '    needs: [track]',
    '    options: { model: custom/visitor, every_s: 1 }',
    '',
  ].join('\n');
  const config = {
    branch: 'main',
    config: { api: { port: 0, auth: false, rate_limit_per_minute: 1_000_000 }, models: { providers: ['cpu'] } },
  };
  const sha1 = await repo.commit('visitor classifier at the door', {
    'fleet.yaml': config,
    'pipelines/door.yaml': pipeline,
    'devices/box-c.yaml': {
      streams: [{ id: 'door', url: VIDEO, pipeline: 'door', fps: 2, loop: true, realtime: true }],
    },
  });
  await using box = await spawnFovea(join(dir.path, 'box'), {
    device_id: 'box-c',
    fleet: { repo: repo.remote, interval_s: 3600, grace_s: 10 },
  });
  const status = () =>
    fetch(`${box.url}/api/fleet`)
      .then((r) => r.json() as Promise<FleetStatus>)
      .catch(() => null);
  await waitFor(
    async () => (await status())?.applied?.sha === sha1,
    90_000,
    'the revision with the classifier applied',
  );
  // The live overlay names each tracked person guest or staff.
  const named = await waitFor(
    async () => {
      const r = await fetch(`${box.url}/api/streams/door/latest`).catch(() => null);
      if (!r?.ok) return null;
      const o = (await r.json()) as { detections: Array<{ sub_label?: string }> };
      return o.detections.find((d) => d.sub_label);
    },
    60_000,
    'a sub-label in the live overlay',
  );
  expect(['guest', 'staff']).toContain(named.sub_label!);

  // The same head, its card claiming another build of the embedding model: rejected, box untouched.
  const sha2 = await repo.commit('visitor: a head made elsewhere', {
    'classifiers/visitor/card.json': JSON.stringify({ ...card, embedding_sha256: 'f'.repeat(64) }),
  });
  const s2 = (await (await fetch(`${box.url}/api/fleet/sync?wait=true`, { method: 'POST' })).json()) as FleetStatus;
  expect([s2.applied?.sha, s2.last_error?.sha, s2.last_error?.state]).toEqual([sha1, sha2, 'rejected']);
  expect(s2.last_error!.problems).toEqual([
    expect.stringMatching(
      /^pipelines\/door\.yaml:\d+: \/stages\/visitor\/options\/model: custom\/visitor was made for mobilenetv2-embed@1 \(sha256 ffffffffffff…\); the catalog's is [0-9a-f]{12}…$/,
    ),
  ]);
}, 240_000);
