/**
 * The stage, model and pipeline catalog through the real API: the registry's stages with their
 * options as JSON Schema, the model catalog with what is on the box, the pipelines (a local file
 * beside the built-ins, a broken one reported with file:line), one pipeline's DAG, and validation
 * of a pipeline's text (422 with file:line, nothing saved), saving one on a standalone box (the
 * streams that use it take it up; 409 on a fleet box).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Elysia } from 'elysia';
import { VIDEOS, startAppliance, stream, waitFor, type Appliance } from '../helpers/fixtures';
import { catalogApi } from '../../appliance/api/catalog';
import { errorHandler } from '../../appliance/api/errors';
import { builtinCatalog } from '../../appliance/models/catalog';
import { createLogger } from '../../appliance/shared/log';

let app: Appliance;
beforeAll(async () => {
  app = await startAppliance();
  await mkdir(app.rt.paths.pipelines, { recursive: true });
  await writeFile(
    join(app.rt.paths.pipelines, 'shelf.yaml'),
    'description: bottles\nstages:\n  detect:\n    type: detect@1\n    options:\n      score: 0.4\n',
  );
  await writeFile(join(app.rt.paths.pipelines, 'broken.yaml'), 'stages:\n  detect:\n    type: detect@9\n');
}, 60_000);
afterAll(() => app?.[Symbol.asyncDispose]());

const json = async (path: string, init?: RequestInit) => {
  const r = await app.api(path, init);
  // biome-ignore lint/suspicious/noExplicitAny: the answers are read field by field and the whole compared below
  return { status: r.status, body: (await r.json()) as Record<string, any> };
};

describe('catalog', () => {
  test('stages, models and pipelines as a pipeline builder needs them', async () => {
    const stages = await json('/api/stages');
    const detect = stages.body.items.find((s: { ref: string }) => s.ref === 'detect@1');
    const models = await json('/api/models');
    const byRef = Object.fromEntries(models.body.items.map((m: { ref: string }) => [m.ref, m]));
    const list = await json('/api/pipelines');
    const people = await json('/api/pipelines/people');
    const missing = await json('/api/pipelines/nope');
    expect({
      stageRefs: stages.body.items.map((s: { ref: string }) => s.ref).sort(),
      detectOptions: Object.keys(detect.options.properties).sort(),
      detectModelDefault: detect.options.properties.model.default,
      yolox: [byRef['yolox-nano@1'].task, byRef['yolox-nano@1'].available, byRef['yolox-nano@1'].present],
      unavailable: models.body.items.filter((m: { available: boolean }) => !m.available).length,
      pipelines: list.body.items.map((p: { name: string; source: string; valid: boolean }) => [
        p.name,
        p.source,
        p.valid,
      ]),
      broken: list.body.items.find((p: { name: string }) => p.name === 'broken').error,
      people: [people.status, people.body.text.length > 50, people.body.stages.map((s: { type: string }) => s.type)],
      missing: [missing.status, missing.body.error.code],
    }).toEqual({
      stageRefs: [
        'annotate@1',
        'classify@1',
        'detect@1',
        'embed@1',
        'event@1',
        'filter@1',
        'motion@1',
        'ocr@1',
        'preprocess@1',
        'publish@1',
        'state@1',
        'store@1',
        'track@1',
      ],
      detectOptions: expect.arrayContaining(['model', 'score']),
      detectModelDefault: 'yolox-nano@1',
      yolox: ['detect', true, true],
      unavailable: expect.atLeast(1),
      pipelines: [
        ['broken', 'local', false],
        ['shelf', 'local', true],
        ['people', 'builtin', true],
        ['objects', 'builtin', true],
      ],
      broken: expect.stringMatching(/broken\.yaml:3.*detect@9/),
      people: [200, true, ['motion@1', 'detect@1', 'track@1', 'event@1', 'store@1', 'publish@1']],
      missing: [404, 'not_found'],
    });
  });

  test('validate: a good pipeline gives its DAG; a bad one 422 with file:line; nothing is saved', async () => {
    const before = await readdir(app.rt.paths.pipelines);
    const post = (body: unknown) =>
      json('/api/pipelines/validate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const good = await post({
      name: 'gate',
      text: 'stages:\n  detect:\n    type: detect\n  track:\n    type: track@1\n    needs: [detect]\n',
      overrides: { 'detect.score': 0.6 },
    });
    const badOption = await post({
      name: 'gate',
      text: 'stages:\n  detect:\n    type: detect@1\n    options:\n      score: 7\n',
    });
    const badYaml = await post({ text: 'stages:\n  detect: [\n' });
    const loop = await post({
      text: 'stages:\n  a:\n    type: track@1\n    needs: [b]\n  b:\n    type: track@1\n    needs: [a]\n',
    });
    expect({
      good: [
        good.status,
        good.body.valid,
        good.body.stages.map((s: { name: string; needs: string[] }) => [s.name, s.needs]),
      ],
      score: good.body.stages[0].options.score,
      badOption: [badOption.status, badOption.body.error.code, badOption.body.error.message],
      badYaml: [badYaml.status, badYaml.body.error.message],
      loop: [loop.status, loop.body.error.message],
      saved: (await readdir(app.rt.paths.pipelines)).sort(),
    }).toEqual({
      good: [
        200,
        true,
        [
          ['detect', []],
          ['track', ['detect']],
        ],
      ],
      score: 0.6,
      badOption: [422, 'validation_failed', expect.stringMatching(/gate\.yaml:5.*score/)],
      badYaml: [422, expect.stringMatching(/pipeline\.yaml:\d/)],
      loop: [422, expect.stringMatching(/cycle|loop/i)],
      saved: before.sort(),
    });
  });

  test('save: a valid pipeline is written and the streams that use it take it up; a bad one 422, file unchanged', async () => {
    await app.rt.streams.start([
      stream({
        id: 'shelf-cam',
        url: join(VIDEOS, 'bottle-detection.mp4'),
        pipeline: 'shelf',
        realtime: true,
        loop: true,
      }),
    ]);
    await waitFor(() => (app.rt.streams.view('shelf-cam')?.frames_analysed ?? 0) > 0, 30_000, 'shelf-cam analysing');
    const put = (name: string, text: string) =>
      json(`/api/pipelines/${name}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    const text =
      'description: bottles, stricter\nstages:\n  detect:\n    type: detect@1\n    options:\n      score: 0.6\n';
    const saved = await put('shelf', text);
    const bad = await put('shelf', 'stages:\n  detect:\n    type: detect@1\n    options:\n      score: 2\n');
    const badName = await put('Shelf!', text);
    expect({
      saved: [saved.status, saved.body.reloaded],
      file: await Bun.file(join(app.rt.paths.pipelines, 'shelf.yaml')).text(),
      running: app.rt.streams.get('shelf-cam')?.pipeline.pipeline.text,
      bad: [bad.status, bad.body.error.message],
      badName: badName.status,
    }).toEqual({
      saved: [200, { streams: ['shelf-cam'], failed: [] }],
      file: text,
      running: text,
      bad: [422, expect.stringMatching(/shelf\.yaml:5.*score/)],
      badName: 422,
    });
    await app.rt.streams.stop('shelf-cam');
  }, 60_000);

  test('save on a box that follows a fleet repo: 409, the repo is the source of truth', async () => {
    const api = new Elysia().use(errorHandler(createLogger({ test: true }))).use(
      catalogApi({
        models: builtinCatalog(),
        providers: ['cpu'],
        present: () => true,
        providerOf: () => null,
        pipelinesDir: () => app.rt.paths.pipelines,
        revision: () => 'abc123',
        fleetManaged: true,
        reload: async () => ({ streams: [], failed: [] }),
      }),
    );
    const res = await api.handle(
      new Request('http://localhost/api/pipelines/gate', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'stages:\n  detect:\n    type: detect@1\n' }),
      }),
    );
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([409, 'conflict']);
    expect(await Bun.file(join(app.rt.paths.pipelines, 'gate.yaml')).exists()).toBe(false);
  });
});
