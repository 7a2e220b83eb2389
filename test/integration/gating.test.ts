/**
 * Motion gating keeps the events (issue 31): the shared person, car and bottle videos, and a clip
 * with idle stretches, through `fovea fleet validate --golden` as a user runs it. First every clip
 * with the detector on every frame; what it saw becomes the golden expectations of the same clips
 * through the gated pipeline, which must meet them within their tolerance while it skips frames.
 * Then regions cut from a larger decode find the small cars of the top-down car park (the whole frame,
 * letterboxed to 416, finds none: measured in bench/README.md).
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureModel, MODELS_DIR, tempDir, VIDEOS } from '../helpers/fixtures';
import { foveaCli } from '../helpers/process';
import { gatingPipeline as pipeline, idleThenPeople, parseGoldenReport, type GoldenLine } from '../helpers/gating';

const CLIPS = [
  { name: 'person', file: 'one-by-one-person-detection.mp4', classes: ['person'] },
  { name: 'car', file: 'car-detection.mp4', classes: undefined },
  { name: 'bottle', file: 'bottle-detection.mp4', classes: undefined },
  { name: 'idle', file: '', classes: ['person'] },
];

let dir: { path: string } & AsyncDisposable;
let repo: string;
let config: string;
let idleClip: string;

const golden = (clip: string, pipelineName: string, expect: string) =>
  `clip:\n  path: ${clip}\npipeline: ${pipelineName}\nexpect:\n${expect}`;

async function validate(): Promise<{ code: number; out: string; lines: Record<string, GoldenLine> }> {
  const v = await foveaCli(['fleet', 'validate', '--golden', '--config', config, repo]);
  return { code: v.code, out: v.out, lines: parseGoldenReport(v.out) };
}

beforeAll(async () => {
  await ensureModel();
  dir = await tempDir();
  repo = join(dir.path, 'repo');
  await cp(join(import.meta.dir, '../../fleet'), repo, { recursive: true });
  await rm(join(repo, 'golden'), { recursive: true });
  await mkdir(join(repo, 'golden'));
  config = join(dir.path, 'fovea.yaml');
  await writeFile(config, `state_dir: ${join(dir.path, 'state')}\nmodels:\n  dir: ${MODELS_DIR}\n  providers: [cpu]\n`);
  // A camera that is idle most of the time: forty empty seconds, then twenty of people.
  idleClip = join(dir.path, 'idle.mp4');
  await idleThenPeople(join(VIDEOS, 'one-by-one-person-detection.mp4'), idleClip, 8);
}, 120_000);

describe('motion gating', () => {
  test('the gated pipeline gives the events of the ungated one on the person, car, bottle and idle clips, skipping frames', async () => {
    for (const c of CLIPS) {
      for (const gated of [false, true])
        await writeFile(
          join(repo, `pipelines/${c.name}-${gated ? 'gated' : 'plain'}.yaml`),
          pipeline({ classes: c.classes, gated }),
        );
      const path = c.file ? join(VIDEOS, c.file) : idleClip;
      await writeFile(
        join(repo, `golden/${c.name}-plain.yaml`),
        golden(path, `${c.name}-plain`, '  - label: person\n    count: 0\n    tolerance: 100000\n'),
      );
    }
    const plain = await validate();
    expect(Object.keys(plain.lines).sort()).toEqual(CLIPS.map((c) => `${c.name}-plain`).sort());
    // What the detector saw on every frame is what the gated pipeline must see: each label's enters
    // and leaves within a fifth (at least one), its count changes within a third (at least two).
    for (const c of CLIPS) {
      const seen = plain.lines[`${c.name}-plain`]!.counts;
      const expects = Object.entries(seen).map(([k, n]) => {
        const [event, label] = [k.split(' ')[0]!, k.split(' ').slice(1).join(' ')];
        const tolerance = event === 'count' ? Math.max(2, Math.round(n / 3)) : Math.max(1, Math.round(n / 5));
        return `  - label: ${label}\n    event: ${event}\n    count: ${n}\n    tolerance: ${tolerance}\n`;
      });
      expect(expects.length).toBeGreaterThan(0);
      const path = c.file ? join(VIDEOS, c.file) : idleClip;
      await writeFile(join(repo, `golden/${c.name}-plain.yaml`), golden(path, `${c.name}-gated`, expects.join('')));
    }
    const gated = await validate();
    expect([gated.code, gated.out.trim().split('\n').at(-1)]).toEqual([0, 'golden ok: 4 clips']);
    const skipped = Object.fromEntries(CLIPS.map((c) => [c.name, gated.lines[`${c.name}-plain`]!.skipped]));
    // Every clip skips some frames; the idle one most of them (forty of its sixty seconds are empty).
    expect(Object.values(skipped).every((s) => s !== null && s > 0)).toBe(true);
    expect(skipped.idle).toBeGreaterThanOrEqual(50);
    expect(plain.lines['idle-plain']!.skipped).toBeNull();
  }, 300_000);

  test('regions cut from a larger decode find the small cars of the top-down car park', async () => {
    await writeFile(join(repo, 'pipelines/car-regions.yaml'), pipeline({ gated: true, decode: [832, 468] }));
    for (const f of CLIPS) await rm(join(repo, `golden/${f.name}-plain.yaml`));
    await writeFile(
      join(repo, 'golden/car-regions.yaml'),
      golden(
        join(VIDEOS, 'car-detection.mp4'),
        'car-regions',
        '  - label: car\n    event: enter\n    count: 0\n    tolerance: 100000\n',
      ),
    );
    const v = await validate();
    const line = v.lines['car-regions']!;
    expect(line.ok).toBe(true);
    expect(line.regions).toBeGreaterThan(0);
    expect(line.counts['enter car'] ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
