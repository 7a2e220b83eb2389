/**
 * Golden files read and judged: the schema and the clip rules each as a problem at its line, the
 * counting of events by label, type and window, and a broken expectation named at its own line.
 */
import { describe, expect, test } from 'bun:test';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkGolden, counted, judge, readGolden, tally, type Observed } from '../../appliance/fleet/golden';
import { tempDir } from '../helpers/fixtures';
import { runGolden } from '../../appliance/fleet/golden-run';

const SHA = 'a'.repeat(64);

async function repoWith(files: Record<string, string>) {
  const dir = await tempDir();
  await mkdir(join(dir.path, 'golden'));
  await mkdir(join(dir.path, 'pipelines'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir.path, name), text);
  return dir;
}

const observed: Observed[] = [
  { type: 'enter', label: 'person', ptsS: 1 },
  { type: 'leave', label: 'person', ptsS: 4 },
  { type: 'enter', label: 'person', ptsS: 12 },
  { type: 'enter', label: 'car', ptsS: 2 },
  { type: 'enter', label: 'person', ptsS: 20, subLabel: 'delivery' },
];

describe('golden files', () => {
  test('events are counted by label, type and window [from_s, to_s)', () => {
    const e = (x: object) => ({ label: 'person', event: 'any' as const, count: 0, tolerance: 0, from_s: 0, ...x });
    expect([
      counted(e({}), observed),
      counted(e({ event: 'enter' }), observed),
      counted(e({ event: 'enter', to_s: 12 }), observed),
      counted(e({ from_s: 4 }), observed),
      counted(e({ label: 'dog' }), observed),
      counted(e({ sub_label: 'delivery' }), observed),
      counted(e({ sub_label: 'resident' }), observed),
    ]).toEqual([4, 3, 1, 3, 0, 1, 0]);
    expect(tally(observed)).toEqual({ 'enter person': 3, 'leave person': 1, 'enter car': 1 });
  });

  test('a broken expectation is a problem at its line; one within its tolerance is not', async () => {
    await using dir = await repoWith({
      'golden/walk.yaml': `clip:
  path: walk.mp4
pipeline: people
expect:
  - label: person
    event: enter
    count: 3
    tolerance: 1
  - label: car
    count: 5
    from_s: 1
    to_s: 3
`,
    });
    const { files, problems } = readGolden(dir.path);
    expect(problems).toEqual([]);
    expect(judge(files[0]!, observed)).toEqual([
      {
        file: 'golden/walk.yaml',
        line: 9,
        path: '/expect/1',
        message: "expected 5 events of 'car' from 1 s to 3 s, got 1",
      },
    ]);
  });

  test('bad files: schema, clip named twice or by url without sha256, a pipeline that does not load', async () => {
    await using dir = await repoWith({
      'golden/both.yaml': `clip:\n  path: a.mp4\n  url: https://example.com/a.mp4\n  sha256: ${SHA}\npipeline: people\nexpect: [{label: person, count: 1}]\n`,
      'golden/nosha.yaml':
        'clip:\n  url: https://example.com/a.mp4\npipeline: people\nexpect: [{label: person, count: 1}]\n',
      'golden/schema.yaml':
        'clip:\n  path: a.mp4\npipeline: people\nexpect:\n  - label: person\n    event: jump\n    count: -1\n',
      'golden/nopipe.yaml': 'clip:\n  path: a.mp4\npipeline: nosuch\nexpect: [{label: person, count: 1}]\n',
      'golden/override.yaml':
        "clip:\n  path: a.mp4\npipeline: people\noverrides:\n  'nostage.score': 1\nexpect: [{label: person, count: 1}]\n",
    });
    const lines = checkGolden(dir.path).map((p) => `${p.file}:${p.line}: ${p.path}: ${p.message.split('\n')[0]}`);
    expect(lines).toEqual([
      'golden/both.yaml:2: /clip: name the clip by exactly one of path or url',
      'golden/nosha.yaml:2: /clip: a clip fetched by url needs its sha256',
      expect.stringMatching(/^golden\/schema\.yaml:6: \/expect\/0\/event: expected one of/),
      expect.stringMatching(/^golden\/schema\.yaml:7: \/expect\/0\/count: /),
      expect.stringMatching(/^golden\/nopipe\.yaml:3: \/pipeline: pipeline 'nosuch' not found/),
      expect.stringMatching(/^golden\/override\.yaml:3: \/pipeline: .*no stage 'nostage'/),
    ]);
  });

  test('a clip that is not there, or not the one its sha256 names, is a problem at the clip line', async () => {
    await using dir = await repoWith({
      'golden/gone.yaml': 'clip:\n  path: clips/none.mp4\npipeline: people\nexpect: [{label: person, count: 1}]\n',
      'golden/other.yaml': `description: x\nclip:\n  path: golden/gone.yaml\n  sha256: ${SHA}\npipeline: people\nexpect: [{label: person, count: 1}]\n`,
    });
    const { files } = readGolden(dir.path);
    const deps = {
      repoDir: dir.path,
      cacheDir: join(dir.path, 'cache'),
      models: null as never,
      imaging: null as never,
      clip: null as never,
    };
    const problems = (await Promise.all(files.map((g) => runGolden(g, deps)))).flatMap((o) => o.problems);
    expect(problems.map((p) => `${p.file}:${p.line}: ${p.path}: ${p.message.replace(dir.path, 'REPO')}`)).toEqual([
      'golden/gone.yaml:2: /clip: the clip REPO/clips/none.mp4 does not exist',
      `golden/other.yaml:3: /clip: the clip REPO/golden/gone.yaml does not match its sha256 ${SHA}`,
    ]);
  });
});
