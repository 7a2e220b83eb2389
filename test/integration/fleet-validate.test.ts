/**
 * `fovea fleet validate|render|schema` as a user (or a Git hook) runs them: a separate process on
 * the template fleet repo in this project, and on a copy broken in every way validation must catch.
 */
import { describe, expect, test } from 'bun:test';
import { cp, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureModel, MODELS_DIR, tempDir } from '../helpers/fixtures';
import { foveaCli } from '../helpers/process';

const template = join(import.meta.dir, '../../fleet');

const fovea = (args: string[]) => foveaCli(args);

async function edit(path: string, from: string, to: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${path} has no ${from}`);
  await writeFile(path, text.replace(from, to));
}

describe('fovea fleet', () => {
  test('the template fleet repo validates, and a device renders defaults < groups < device', async () => {
    const v = await fovea(['fleet', 'validate', template]);
    const r = await fovea(['fleet', 'render', '--device', 'box-001', template]);
    const { branch, config } = JSON.parse(r.out) as {
      branch: string;
      config: {
        device_id: string;
        log: { level: string };
        streams: Array<Record<string, unknown>>;
        pipelines: { dir: string };
      };
    };
    expect([v.code, v.out.trim(), r.code, branch, config.device_id, config.log.level, config.pipelines.dir]).toEqual([
      0,
      'fleet ok: 2 devices, 2 groups, 1 pipeline, 1 golden clip',
      0,
      'canary',
      'box-001',
      'debug',
      join(template, 'pipelines'),
    ]);
    expect(config.streams.map((s) => [s.id, s.url, s.pipeline, s.password, s.hwaccel])).toEqual([
      ['entrance', 'rtsp://10.1.0.21/stream1', 'entrance-people', '${cred:camera-password}', 'cuda'],
      ['lobby', 'rtsp://10.1.0.22:8554/live', 'objects', '${cred:camera-password}', 'none'],
    ]);
  }, 30_000);

  test('a broken repo: every problem with its file:line, and exit 1', async () => {
    await using dir = await tempDir();
    await cp(template, dir.path, { recursive: true });
    const f = (p: string) => join(dir.path, p);
    await edit(f('devices/box-001.yaml'), 'groups: [entrances, canary]', 'groups: [entrances, canary, nosuch]');
    await edit(f('devices/box-001.yaml'), '    pipeline: objects', '    pipeline: objectz\n    fps: 500');
    await edit(
      f('devices/box-001.yaml'),
      'pipeline: entrance-people\n      overrides',
      'pipeline: entrance-peeple\n      overrides',
    );
    await edit(f('groups/canary.yaml'), 'level: debug', 'level: loud\n  streams: []');
    await edit(
      f('devices/box-002.yaml'),
      'providers: [cpu]',
      'providers: [cpu]\n  sync:\n    secret_access_key: hunter2hunter2',
    );
    await edit(f('pipelines/entrance-people.yaml'), 'model: yolox-nano@1', 'model: yolox-huge@9');
    await writeFile(f('devices/box-003.yaml'), 'groups: [entrances\n');
    await writeFile(f('devices/Bad Name.yaml'), 'groups: []\n');
    const v = await fovea(['fleet', 'validate', dir.path]);
    const lines = v.out.trim().split('\n');
    expect(v.code).toBe(1);
    expect(
      lines
        .slice(0, -1)
        .map((l) => l.split(': ').slice(0, 2).join(': '))
        .sort(),
    ).toEqual([
      'devices/Bad Name.yaml: /',
      'devices/box-001.yaml:10: /streams/0/shadow/pipeline',
      'devices/box-001.yaml:18: /streams/1/pipeline',
      'devices/box-001.yaml:19: /streams/1/fps',
      'devices/box-001.yaml:3: /groups/2',
      'devices/box-002.yaml:8: /sync/secret_access_key',
      'devices/box-003.yaml:2: /',
      'groups/canary.yaml:7: /log/level',
      'groups/canary.yaml:8: /config/streams',
      'pipelines/entrance-people.yaml:9: /stages/detect/options/model',
    ]);
    expect(lines.at(-1)).toBe('10 problems');
    // The secret's value is named as a problem, never printed.
    expect(v.out).not.toContain('hunter2');
    const r = await fovea(['fleet', 'render', '--device', 'box-002', dir.path]);
    expect([r.code, r.out.includes('devices/box-002.yaml:8: /sync/secret_access_key')]).toEqual([1, true]);
  }, 30_000);

  test('the committed JSON Schemas for editors match the fleet file schemas', async () => {
    for (const kind of ['fleet', 'group', 'device', 'golden']) {
      const s = await fovea(['fleet', 'schema', kind]);
      expect(JSON.parse(s.out)).toEqual(
        JSON.parse(await readFile(join(template, 'schema', `${kind}.schema.json`), 'utf8')),
      );
    }
  }, 30_000);

  test("--golden: the person video passes with the built-in pipeline and fails, at the expectation's line, with one that filters people out", async () => {
    await ensureModel();
    await using dir = await tempDir();
    const repo = join(dir.path, 'repo');
    await cp(template, repo, { recursive: true });
    const people = await readFile(join(import.meta.dir, '../../appliance/pipeline/builtin/people.yaml'), 'utf8');
    await writeFile(join(repo, 'pipelines/no-people.yaml'), people.replace('classes: [person]', 'classes: [car]'));
    const golden = await readFile(join(repo, 'golden/people-table.yaml'), 'utf8');
    await writeFile(
      join(repo, 'golden/people-filtered.yaml'),
      golden.replace('pipeline: people', 'pipeline: no-people'),
    );
    const config = join(dir.path, 'fovea.yaml');
    await writeFile(
      config,
      `state_dir: ${join(dir.path, 'state')}\nmodels:\n  dir: ${MODELS_DIR}\n  providers: [cpu]\n`,
    );
    const v = await fovea(['fleet', 'validate', '--golden', '--config', config, repo]);
    const lines = v.out.trim().split('\n');
    const expectLine = golden.split('\n').indexOf('  - label: person') + 1;
    expect([v.code, lines.length]).toEqual([1, 5]);
    expect(lines[0]).toMatch(
      /^golden\/people-filtered\.yaml: FAILED, 697 frames in [\d.]+ s: no events; gating: the detector skipped \d+ % of frames, ran on regions on 0 and on the whole frame on \d+ \(1 calls a run\)$/,
    );
    expect(lines[1]).toMatch(
      /^golden\/people-table\.yaml: ok, 697 frames in [\d.]+ s: \d+ enter person, \d+ count person, \d+ leave person; gating: .*$/,
    );
    expect(lines.slice(2)).toEqual([
      `golden/people-filtered.yaml:${expectLine}: /expect/0: expected 6 ± 1 'enter' events of 'person', got 0`,
      `golden/people-filtered.yaml:${expectLine + 4}: /expect/1: expected 6 ± 1 'leave' events of 'person', got 0`,
      '2 problems',
    ]);
  }, 180_000);
});
