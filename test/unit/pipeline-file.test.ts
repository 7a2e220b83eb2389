import { describe, expect, test } from 'bun:test';
import { parsePipeline } from '../../appliance/pipeline/file';
import { stageRefs } from '../../appliance/pipeline/registry';

const known = stageRefs().join(', ');

const good = `description: people at the table
input:
  fps: 5
stages:
  detect:
    type: detect@1
    options:
      score: 0.3
      classes: [person]
  track:
    type: track
    needs: [detect]
  events:
    type: event@1
    needs: [track]
    options:
      zones:
        - name: table
          polygon: [[0.3, 0.4], [0.7, 0.4], [0.7, 0.9], [0.3, 0.9]]
  store:
    type: store@1
    needs: [events]
`;

const message = (text: string, overrides = {}) => {
  try {
    parsePipeline(text, 'pipelines/p.yaml', overrides);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

describe('pipeline files', () => {
  test('a valid file compiles in run order with defaults filled', () => {
    const p = parsePipeline(good, 'pipelines/people.yaml');
    expect([
      p.name,
      p.fps,
      p.stages.map((s) => `${s.name}:${s.def.type}@${s.def.version}`),
      (p.stages[0]!.options as { model: string }).model,
    ]).toEqual(['people', 5, ['detect:detect@1', 'track:track@1', 'events:event@1', 'store:store@1'], 'yolox-nano@1']);
  });

  test('an unknown type, a pinned version that does not exist, and a bad option are reported with lines', () => {
    const bad = good
      .replace('type: track\n', 'type: tracker\n')
      .replace('type: store@1', 'type: store@9')
      .replace('score: 0.3', 'score: 3');
    expect(message(bad)).toBe(
      [
        'pipelines/p.yaml:8: /stages/detect/options/score: expected number to be less or equal to 1 (got 3)',
        `pipelines/p.yaml:11: /stages/track/type: unknown stage type 'tracker' (known: ${known})`,
        `pipelines/p.yaml:21: /stages/store/type: unknown stage type 'store@9' (known: ${known})`,
      ].join('\n'),
    );
  });

  test('a missing need and a cycle are reported at the stage', () => {
    expect(message(good.replace('needs: [events]', 'needs: [evnts]'))).toBe(
      "pipelines/p.yaml:22: /stages/store/needs: needs 'evnts', which is not a stage of this pipeline",
    );
    expect(message(good.replace('    type: detect@1\n', '    type: detect@1\n    needs: [store]\n'))).toContain(
      'cycle among stages detect -> track -> events -> store',
    );
  });

  test('an unknown option key and a bad zone point are reported', () => {
    expect(message(good.replace('classes: [person]', 'clases: [person]'))).toBe(
      "pipelines/p.yaml:9: /stages/detect/options/clases: unknown key 'clases'",
    );
    expect(message(good.replace('[0.3, 0.4], [0.7, 0.4]', '[0.3, 1.4], [0.7, 0.4]'))).toContain(
      '/stages/events/options/zones/0/polygon/0/1: expected number to be less or equal to 1 (got 1.4)',
    );
  });

  test('per-run overrides change options and are validated like the file', () => {
    const p = parsePipeline(good, 'p.yaml', { 'detect.score': 0.6, 'track.max_age': 3 });
    expect([
      (p.stages[0]!.options as { score: number }).score,
      (p.stages[1]!.options as { max_age: number }).max_age,
    ]).toEqual([0.6, 3]);
    expect(message(good, { 'detect.score': 'high' })).toContain('/stages/detect/options/score: expected number');
    expect(message(good, { 'nope.score': 1 })).toContain("no stage 'nope' to override");
  });

  test('YAML errors and empty stages are refused', () => {
    expect(message('stages: {}\n')).toContain('/stages: expected object to have at least 1 properties');
    expect(message('stages:\n  a: [\n')).toMatch(/^pipelines\/p\.yaml:\d+: /);
  });
});

import { decodeSpecOf } from '../../appliance/pipeline/compile';
import { builtinCatalog } from '../../appliance/models/catalog';

describe('decode geometry', () => {
  const catalog = builtinCatalog();
  test('from the detect model by default; preprocess options override it', () => {
    const plain = parsePipeline(good, 'p.yaml');
    const stretched = parsePipeline(
      good
        .replace('stages:\n', 'stages:\n  pre:\n    type: preprocess@1\n    options: { fit: stretch }\n')
        .replace('  detect:\n    type: detect@1\n', '  detect:\n    type: detect@1\n    needs: [pre]\n'),
      'p.yaml',
    );
    expect([decodeSpecOf(plain, catalog, 5), decodeSpecOf(stretched, catalog, 5).fit]).toEqual([
      { width: 416, height: 416, pixfmt: 'bgr24', fps: 5, fit: { mode: 'letterbox', align: 'top-left', pad: 114 } },
      { mode: 'stretch' },
    ]);
  });

  test('a preprocess for another model than detect runs is refused', () => {
    const p = parsePipeline(
      good.replace('stages:\n', 'stages:\n  pre:\n    type: preprocess@1\n    options: { model: nanodet-m@1 }\n'),
      'p.yaml',
    );
    expect(() => decodeSpecOf(p, catalog, 5)).toThrow('preprocess prepares nanodet-m@1 but detect runs yolox-nano@1');
  });

  test('decode_size sets the frame; a gated detector needs its motion stage; decode_size and preprocess do not mix', () => {
    const gated = (detectLines: string, motion = '  moves:\n    type: motion@1\n') =>
      parsePipeline(
        good
          .replace('stages:\n', `stages:\n${motion}`)
          .replace(
            '  detect:\n    type: detect@1\n    options:\n      score: 0.3\n      classes: [person]\n',
            `  detect:\n    type: detect@1\n${detectLines}`,
          ),
        'p.yaml',
      );
    const sized = gated('    needs: [moves]\n    options: { motion: moves, decode_size: [832, 468] }\n');
    expect(decodeSpecOf(sized, catalog, 5)).toEqual({
      width: 832,
      height: 468,
      pixfmt: 'bgr24',
      fps: 5,
      fit: { mode: 'letterbox', align: 'top-left', pad: 114 },
    });
    expect(() => decodeSpecOf(gated('    options: { motion: moves }\n'), catalog, 5)).toThrow(
      "detect is gated on 'moves': add it to detect.needs",
    );
    expect(() => decodeSpecOf(gated('    options: { motion: nope }\n'), catalog, 5)).toThrow(
      "detect.motion 'nope' is not a motion@1 stage",
    );
    const both = gated(
      '    needs: [pre]\n    options: { decode_size: [832, 468] }\n',
      '  pre:\n    type: preprocess@1\n',
    );
    expect(() => decodeSpecOf(both, catalog, 5)).toThrow(
      'detect.decode_size and a preprocess stage do not go together',
    );
  });
});

import { instantiate } from '../../appliance/pipeline/compile';
import { emptyFrame, type StageDef } from '../../appliance/pipeline/types';
import { Type } from '@sinclair/typebox';

test('with two frames in flight, concurrent stages overlap but every stage completes in frame order', async () => {
  const log: string[] = [];
  const gate: Array<() => void> = [];
  const slow: StageDef = {
    type: 'slow',
    version: 1,
    description: '',
    concurrent: true,
    options: Type.Object({}),
    create: () => ({
      run: async (f) => {
        log.push(`slow start ${f.seq}`);
        await new Promise<void>((r) => gate.push(r));
        log.push(`slow end ${f.seq}`);
      },
    }),
  };
  const after: StageDef = {
    type: 'after',
    version: 1,
    description: '',
    options: Type.Object({}),
    create: () => ({
      run: (f) => {
        log.push(`after ${f.seq}`);
      },
    }),
  };
  const running = await instantiate(
    {
      name: 'p',
      file: 'p',
      fps: 1,
      text: '',
      stages: [
        { name: 's', def: slow, options: {}, needs: [], retry: null },
        { name: 'a', def: after, options: {}, needs: ['s'], retry: null },
      ],
    },
    {} as never,
  );
  const frame = (seq: number) =>
    emptyFrame({
      stream: 'x',
      seq,
      ptsS: seq,
      decodedAt: 0,
      width: 1,
      height: 1,
      pixfmt: 'rgb24',
      pixels: new Uint8Array(3),
      letterbox: { ratio: 1, padX: 0, padY: 0, srcWidth: 1, srcHeight: 1 },
    });
  const a = running.run(frame(1));
  const b = running.run(frame(2));
  await Bun.sleep(0);
  gate[1]!(); // frame 2's slow stage finishes first...
  await Bun.sleep(0);
  gate[0]!();
  await Promise.all([a, b]);
  // ...but both started at once, and frame 1 completes each stage before frame 2.
  expect(log).toEqual(['slow start 1', 'slow start 2', 'slow end 2', 'slow end 1', 'after 1', 'after 2']);
});
