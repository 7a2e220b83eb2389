/**
 * @module /api/runs: pipeline runs on demand. POST answers 202 with the run id at once (multipart:
 * files plus a `spec` JSON field; or JSON); the history with filters; one run with its steps and
 * items; its log; cancel, retry (failed items), resubmit (a new run, new overrides), delete; the
 * files of its inputs and outputs (before/after).
 */
import { Elysia, t } from 'elysia';
import { parseSpec, RUN_STATES, type RunSpec, type RunStatus } from '../runs/model';
import type { Caller, RunService, Upload } from '../runs/service';
import type { RunFiles } from '../runs/files';
import type { RunRow } from '../store/runs';
import { AppError } from '../shared/errors';
import { uploadedBytes } from './images';
import { identityOf, ownerOf, viewerOf } from './auth';
import { parseDate } from './views';
import { parseJsonLimited } from '../shared/parse-limits';

export interface RunsDeps {
  /** api.auth: without it every caller sees every image. */
  authRequired: boolean;
  runs: RunService;
  files: RunFiles;
  maxUploadBytes: number;
  maxFiles: number;
  /** Whether runs may name clips on the box (runs.video_dirs is set). */
  clips: boolean;
}

/** What the caller may see (another user's private run is an unknown run). */
const seen = (req: Request, d: RunsDeps) => viewerOf(req, d.authRequired);

/** Who calls: what they may see, and whose a run they start is. */
const callerOf = (req: Request, d: RunsDeps): Caller => ({
  viewer: seen(req, d),
  owner: ownerOf(req),
  name: identityOf(req)?.subject ?? null,
});

export const runView = (r: RunRow) => ({
  run_id: r.id,
  status: r.status,
  pipeline: r.pipeline,
  label: r.label,
  priority: r.priority,
  created_at: r.created_at.toISOString(),
  started_at: r.started_at?.toISOString() ?? null,
  finished_at: r.finished_at?.toISOString() ?? null,
  total: r.total,
  parent_id: r.parent_id,
  created_by: r.created_by,
  revision: r.revision,
  private: r.private,
});

async function uploadsOf(files: unknown, d: RunsDeps): Promise<Upload[]> {
  const list = files === undefined ? [] : Array.isArray(files) ? files : [files];
  if (list.length > d.maxFiles)
    throw new AppError('payload_too_large', `${list.length} files, over the limit of ${d.maxFiles} per request`, {
      details: { max_files: d.maxFiles },
    });
  const out: Upload[] = [];
  for (const f of list) {
    const { data, name } = await uploadedBytes(f, d.maxUploadBytes);
    out.push({ data, fileName: name });
  }
  return out;
}

const statusList = (s: string | undefined): string[] => {
  const list = (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = list.filter((x) => !(RUN_STATES as readonly string[]).includes(x));
  if (bad.length)
    throw new AppError('validation_failed', `unknown status ${bad.join(', ')} (${RUN_STATES.join(', ')})`);
  return list as RunStatus[];
};

export const runsApi = (d: RunsDeps) =>
  new Elysia({ name: 'api-runs', prefix: '/api/runs', detail: { tags: ['runs'] } })
    .post(
      '/',
      async ({ request, set }) => {
        const type = request.headers.get('content-type') ?? '';
        let spec: RunSpec;
        let uploads: Upload[] = [];
        if (type.startsWith('multipart/form-data')) {
          const form = await request.formData().catch(() => {
            throw new AppError('bad_request', 'the multipart body could not be read');
          });
          const text = form.get('spec');
          spec = parseSpec(typeof text === 'string' ? parseJsonLimited(text, 'spec') : {});
          uploads = await uploadsOf(form.getAll('files'), d);
        } else if (type.startsWith('application/json')) {
          spec = parseSpec(parseJsonLimited(await request.text(), 'the body'));
        } else
          throw new AppError('unsupported_media_type', 'send multipart/form-data (files + spec) or application/json');
        const { run, created } = await d.runs.submit(spec, uploads, callerOf(request, d));
        set.status = created ? 202 : 200;
        return { ...runView(run), created };
      },
      {
        parse: 'none',
        detail: {
          summary: 'Start a run: 202 with its id at once',
          description:
            'multipart/form-data: `files` (one part per photo) and `spec` (JSON); or application/json: the spec alone, with registered images and clips as inputs. An idempotency key already used with the same spec answers 200 with that run.',
        },
      },
    )
    .get(
      '/',
      async ({ query, request }) => {
        const page = query.page ?? 1;
        const limit = query.limit ?? 20;
        const { items, total } = await d.runs.list(
          {
            status: statusList(query.status),
            pipeline: query.pipeline,
            label: query.label,
            from: parseDate(query.from, 'from'),
            to: parseDate(query.to, 'to'),
          },
          seen(request, d),
          page,
          limit,
        );
        return {
          items: items.map((i) => ({ ...runView(i.run), counts: i.counts })),
          page,
          limit,
          total,
          clips: d.clips,
        };
      },
      {
        query: t.Object({
          status: t.Optional(t.String({ maxLength: 200, description: 'Comma-separated states.' })),
          pipeline: t.Optional(t.String({ maxLength: 100 })),
          label: t.Optional(t.String({ maxLength: 200 })),
          from: t.Optional(t.String({ description: 'ISO 8601: created at or after.' })),
          to: t.Optional(t.String({ description: 'ISO 8601: created at or before.' })),
          page: t.Optional(t.Integer({ minimum: 1, maximum: 1_000_000 })),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
        }),
        detail: {
          summary: 'The run history, newest first',
          description: '`clips`: whether runs may name clips on the box (runs.video_dirs is set).',
        },
      },
    )
    .get(
      '/:id',
      async ({ params, query, request }) => {
        const v = await d.runs.view(params.id, seen(request, d), query.items_from ?? 0, query.items_limit ?? 100);
        const r = v.run;
        return {
          ...runView(r),
          spec: JSON.parse(r.spec),
          pipeline_text: r.pipeline_text,
          pipeline_file: r.pipeline_file,
          idempotency_key: r.idempotency_key,
          error: r.error,
          progress: v.progress,
          counts: v.counts,
          steps: v.steps,
          stages: v.dag,
          items_total: v.items_total,
          items: v.items.map((it) => ({
            index: it.idx,
            kind: it.kind,
            name: it.name,
            source: it.kind === 'image' ? it.source : it.kind === 'video' ? it.source : null,
            input_url:
              it.kind === 'upload'
                ? `/api/runs/${r.id}/files/${it.source}`
                : it.kind === 'image'
                  ? `/api/images/${it.source}/file`
                  : null,
            status: it.status,
            attempts: it.attempts,
            error: it.error,
            started_at: it.started_at?.toISOString() ?? null,
            finished_at: it.finished_at?.toISOString() ?? null,
            steps: it.steps,
            output: it.output ? JSON.parse(it.output) : null,
          })),
        };
      },
      {
        query: t.Object({
          items_from: t.Optional(t.Integer({ minimum: 0 })),
          items_limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })),
        }),
        detail: { summary: 'One run: spec, pipeline text, status, progress, per-step and per-item state and outputs' },
      },
    )
    .get(
      '/:id/log',
      async ({ params, query, request }) => {
        const lines = await d.runs.log(params.id, seen(request, d), query.after ?? 0, query.limit ?? 500);
        return {
          lines: lines.map((l) => ({ seq: Number(l.seq), at: l.at.toISOString(), level: l.level, message: l.message })),
        };
      },
      {
        query: t.Object({
          after: t.Optional(t.Integer({ minimum: 0 })),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 5000 })),
        }),
        detail: { summary: "A run's log (bounded, scrubbed), oldest first, after a line number" },
      },
    )
    .get(
      '/:id/files/:dir/:name',
      async ({ params, request }) => {
        // A run's files are its inputs and what it made of them: seen by who may see the run.
        await d.runs.row(params.id, seen(request, d));
        const path = d.files.path(params.id, `${params.dir}/${params.name}`);
        const file = path ? Bun.file(path) : null;
        if (!file || !(await file.exists())) throw new AppError('not_found', `no file ${params.dir}/${params.name}`);
        return new Response(file, {
          headers: { 'cache-control': 'private, max-age=3600', 'x-content-type-options': 'nosniff' },
        });
      },
      { detail: { summary: "A run's input (in/) or output (out/) file" } },
    )
    .post('/:id/cancel', async ({ params, request }) => runView(await d.runs.cancel(params.id, seen(request, d))), {
      detail: { summary: 'Cancel a queued or running run (409 when it has finished)' },
    })
    .post('/:id/retry', async ({ params, request }) => runView(await d.runs.retry(params.id, seen(request, d))), {
      detail: { summary: "Run a finished run's failed items again" },
    })
    .post(
      '/:id/resubmit',
      async ({ params, body, request, set }) => {
        const run = await d.runs.resubmit(params.id, body ?? {}, callerOf(request, d));
        set.status = 202;
        return runView(run);
      },
      {
        body: t.Optional(
          t.Object(
            {
              overrides: t.Optional(t.Record(t.String({ maxLength: 200 }), t.Unknown())),
              priority: t.Optional(t.Integer({ minimum: -100, maximum: 100 })),
              label: t.Optional(t.String({ maxLength: 200 })),
            },
            { additionalProperties: false },
          ),
        ),
        detail: {
          summary: 'A new run of the same inputs and pipeline, optionally with new overrides, linked to its parent',
        },
      },
    )
    .delete(
      '/:id',
      async ({ params, set, request }) => {
        await d.runs.delete(params.id, seen(request, d));
        set.status = 204;
        return null;
      },
      { detail: { summary: 'Delete a finished run, its files, results and registered outputs' } },
    );
