/**
 * @module The stage, model and pipeline catalog: what a person building or running a pipeline can use.
 * `GET /api/stages` (each registered stage with its options as JSON Schema), `GET /api/models` (the
 * model catalog, whether each file is in place, the providers asked for), `GET /api/pipelines` and
 * `GET /api/pipelines/:name` (built-in, local or from the fleet revision: the YAML and its DAG),
 * `POST /api/pipelines/validate` (a pipeline's text checked as a stream would load it: 422 with
 * file:line problems, nothing saved), `PUT /api/pipelines/:name` (save a valid pipeline on a
 * standalone box; the streams that use it take it up between two frames; 409 on a box that follows
 * a fleet repo, whose repo is the source of truth).
 */
import { readdirSync, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomic } from '../shared/atomic';
import { Elysia, t } from 'elysia';
import { registry } from '../pipeline/registry';
import { BUILTIN, loadPipeline } from '../pipeline/catalog';
import { parsePipeline, type Pipeline } from '../pipeline/file';
import { refOf, type Catalog } from '../models/catalog';
import { AppError, asValidation, isAppError } from '../shared/errors';

/**
 * A pipeline's text from a client: real ones are a few KiB; the YAML parser takes about 100 ms for
 * 64 KiB of the worst shape on this CPU (a long flow list), so a request cannot hold the box longer.
 */
const PIPELINE_TEXT_BYTES = 64 * 1024;

export interface CatalogDeps {
  models: Catalog;
  providers: readonly string[];
  /** Whether a model's file is in place on this box. */
  present(ref: string): boolean;
  /** The provider a model runs on, once a session has opened it (null before). */
  providerOf(ref: string): string | null;
  /** Where the box's pipelines come from now (the local directory or the fleet revision's). */
  pipelinesDir(): string;
  /** The fleet revision the box follows (null: a standalone box). */
  revision(): string | null;
  /** Whether a fleet repo is configured: its pipelines are the repo's, never edited on the box. */
  fleetManaged: boolean;
  /** Restart the pipelines of the streams that use `name` after it was saved; their ids, and failures. */
  reload(name: string): Promise<{ streams: string[]; failed: Array<{ stream: string; error: string }> }>;
}

const dagOf = (p: Pipeline) => ({
  name: p.name,
  file: p.file,
  fps: p.fps,
  stages: p.stages.map((s) => ({
    name: s.name,
    type: `${s.def.type}@${s.def.version}`,
    needs: s.needs,
    options: s.options,
  })),
});

/** Local pipeline names (files in the directory), then the built-ins not shadowed by one. */
function pipelineNames(dir: string): Array<{ name: string; source: 'local' | 'builtin' }> {
  const local = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^[a-z0-9][a-z0-9_-]*\.yaml$/.test(f))
        .map((f) => f.replace(/\.yaml$/, ''))
    : [];
  const builtin = Object.keys(BUILTIN).filter((n) => !local.includes(n));
  return [
    ...local.sort().map((name) => ({ name, source: 'local' as const })),
    ...builtin.map((name) => ({ name, source: 'builtin' as const })),
  ];
}

export const catalogApi = (d: CatalogDeps) =>
  new Elysia({ name: 'api-catalog', prefix: '/api', detail: { tags: ['catalog'] } })
    .get(
      '/stages',
      () => ({
        items: [...registry.values()].map((s) => ({
          ref: `${s.type}@${s.version}`,
          type: s.type,
          version: s.version,
          description: s.description,
          concurrent: s.concurrent ?? false,
          options: s.options,
        })),
      }),
      { detail: { summary: 'Every stage a pipeline can use: type@version, description, options as JSON Schema' } },
    )
    .get(
      '/models',
      () => ({
        providers: d.providers,
        items: d.models.models.map((m) => ({
          ref: refOf(m),
          task: m.task,
          title: m.title,
          licence: m.licence,
          available: m.available,
          present: m.available && d.present(refOf(m)),
          provider: d.providerOf(refOf(m)),
          input: m.input,
          labels: m.labels ?? null,
        })),
      }),
      {
        detail: { summary: 'The model catalog: each model, whether it can be obtained and whether it is on this box' },
      },
    )
    .get(
      '/pipelines',
      () => {
        const dir = d.pipelinesDir();
        return {
          revision: d.revision(),
          items: pipelineNames(dir).map(({ name, source }) => {
            try {
              const p = loadPipeline(dir, name);
              return {
                name,
                source: d.revision() && source === 'local' ? 'fleet' : source,
                valid: true,
                stages: p.stages.length,
                error: null,
              };
            } catch (e) {
              return { name, source, valid: false, stages: 0, error: (e as Error).message };
            }
          }),
        };
      },
      { detail: { summary: 'The pipelines this box can run (local or fleet files, then built-ins), each checked' } },
    )
    .get(
      '/pipelines/:name',
      ({ params }) => {
        try {
          const p = loadPipeline(d.pipelinesDir(), params.name);
          return { ...dagOf(p), text: p.text, revision: d.revision() };
        } catch (e) {
          if (isAppError(e) && /not found|not valid/.test(e.message)) throw new AppError('not_found', e.message);
          throw asValidation(e);
        }
      },
      { detail: { summary: 'One pipeline: its YAML text and its DAG (stages with type@version, needs, options)' } },
    )
    .post(
      '/pipelines/validate',
      ({ body }) => {
        try {
          const p = parsePipeline(body.text, `${body.name ?? 'pipeline'}.yaml`, body.overrides ?? {}, body.name);
          return { valid: true, ...dagOf(p) };
        } catch (e) {
          throw asValidation(e);
        }
      },
      {
        body: t.Object({
          text: t.String({ maxLength: PIPELINE_TEXT_BYTES, description: 'The pipeline YAML.' }),
          name: t.Optional(t.String({ pattern: '^[a-z0-9][a-z0-9_-]*$' })),
          overrides: t.Optional(t.Record(t.String(), t.Unknown())),
        }),
        detail: {
          summary: 'Check a pipeline as a stream would load it: 200 with its DAG, or 422 with file:line problems',
        },
      },
    )
    .put(
      '/pipelines/:name',
      async ({ params, body }) => {
        if (d.fleetManaged)
          throw new AppError(
            'conflict',
            'this box follows a fleet repo: change the pipeline there (git push), not on the box',
          );
        if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(params.name))
          throw new AppError(
            'validation_failed',
            `pipeline name '${params.name}' is not valid ([a-z0-9_-], 63 at most)`,
          );
        const dir = d.pipelinesDir();
        const p = (() => {
          try {
            return parsePipeline(body.text, join(dir, `${params.name}.yaml`), {}, params.name);
          } catch (e) {
            throw asValidation(e);
          }
        })();
        await mkdir(dir, { recursive: true });
        await writeAtomic(join(dir, `${params.name}.yaml`), new TextEncoder().encode(body.text));
        const reloaded = await d.reload(params.name);
        return { saved: true, ...dagOf(p), reloaded };
      },
      {
        body: t.Object({ text: t.String({ maxLength: PIPELINE_TEXT_BYTES, description: 'The pipeline YAML.' }) }),
        detail: {
          summary: 'Save a valid pipeline on a standalone box (409 when the box follows a fleet repo)',
          description: 'The streams that use it take the new version up (swapped between two frames).',
        },
      },
    );
