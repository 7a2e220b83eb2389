/**
 * @module What a run is: its spec (as a client submits it), its states and its items' states, and
 * the pure rules between them: a run's status from its items', a pipeline step's status across the
 * items, progress. The vocabulary follows Argo Workflows (per-node phase, attempts) where it fits.
 */
import { Type, type Static } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { stableJson } from '../shared/json';
import { AppError } from '../shared/errors';

import type { ItemStatus, RunStatus, Steps } from '../contracts/runs';

export * from '../contracts/runs';

/** A run that will not change any more unless someone retries or resubmits it. */
export const finished = (s: RunStatus) =>
  s === 'succeeded' || s === 'failed' || s === 'partially_failed' || s === 'canceled';

export const Input = Type.Union([
  Type.Object({ image_id: Type.String({ maxLength: 100 }) }, { additionalProperties: false }),
  Type.Object(
    { video: Type.String({ maxLength: 4096, description: 'A clip under one of runs.video_dirs.' }) },
    { additionalProperties: false },
  ),
]);
export type Input = Static<typeof Input>;

export const RunSpec = Type.Object(
  {
    pipeline: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'Built-in, local or fleet pipeline.' }),
    overrides: Type.Record(Type.String({ maxLength: 200 }), Type.Unknown(), {
      default: {},
      description: '`stage.option: value`, validated as a stream override is.',
    }),
    inputs: Type.Array(Input, { default: [], description: 'Registered images and clips; uploads are added to these.' }),
    priority: Type.Integer({ default: 0, minimum: -100, maximum: 100, description: 'Higher runs first.' }),
    label: Type.Optional(Type.String({ maxLength: 200 })),
    idempotency_key: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    private: Type.Boolean({
      default: false,
      description:
        'Seen by its owner and admins only, with all it makes. A run over a private photo is private whatever this says.',
    }),
    register_outputs: Type.Array(Type.Union([Type.Literal('annotated'), Type.Literal('crops')]), {
      default: [],
      description: 'Register annotated images or detection crops in the library, searchable.',
    }),
  },
  { additionalProperties: false },
);
export type RunSpec = Static<typeof RunSpec>;

/** A client's spec (HTTP or gRPC), defaults filled, checked against the schema with every problem named. */
export function parseSpec(raw: unknown): RunSpec {
  const spec = Value.Default(RunSpec, structuredClone(raw ?? {})) as RunSpec;
  const problems = [...Value.Errors(RunSpec, spec)].slice(0, 20).map((e) => `${e.path || '/'}: ${e.message}`);
  if (problems.length)
    throw new AppError('validation_failed', `the run spec is not valid: ${problems.join('; ')}`, {
      details: problems,
    });
  return spec;
}

/** The spec's identity for idempotency: the same key with another spec is a conflict. Uploads count by content. */
export function specHash(spec: RunSpec, uploads: string[]): string {
  const { idempotency_key: _k, ...rest } = spec;
  return createHash('sha256')
    .update(stableJson({ ...rest, uploads }))
    .digest('hex');
}

/**
 * An item's result session: derived from the run and the index, the same for every attempt, so the
 * results of an attempt cut short (a crash before the item was recorded) can be found and removed
 * without having been recorded first.
 */
export function itemSession(runId: string, idx: number): string {
  const h = createHash('sha256').update(`${runId}:${idx}`).digest('hex');
  // RFC 9562 version 8 (custom), variant 10.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const newSteps = (names: string[]): Steps =>
  Object.fromEntries(names.map((n) => [n, { status: 'pending' as ItemStatus, attempts: [] }]));

/** How many items are in each state (what the store counts and the executor keeps). */
export type Counts = Partial<Record<ItemStatus, number>>;

/** Items' states counted (for a list of states in hand). */
export function tally(states: ItemStatus[]): Counts {
  const c: Counts = {};
  for (const s of states) c[s] = (c[s] ?? 0) + 1;
  return c;
}

/** The status of a run whose items are all finished (none pending or running). */
export function finalStatus(c: Counts, canceled: boolean): RunStatus {
  if (canceled) return 'canceled';
  if (!c.failed) return 'succeeded';
  return c.succeeded ? 'partially_failed' : 'failed';
}

/** One pipeline step across a run's items: the colour it shows, with how many items are in each state. */
export function stepSummary(counts: Counts): { status: ItemStatus; counts: Counts } {
  const status: ItemStatus = counts.running
    ? 'running'
    : counts.retrying
      ? 'retrying'
      : counts.failed
        ? 'failed'
        : counts.pending
          ? 'pending'
          : counts.succeeded
            ? 'succeeded'
            : counts.skipped
              ? 'skipped'
              : 'pending';
  return { status, counts };
}

export function progress(c: Counts): { done: number; total: number; percent: number } {
  const done = (c.succeeded ?? 0) + (c.failed ?? 0) + (c.skipped ?? 0);
  const total = Object.values(c).reduce((x, y) => x + (y ?? 0), 0);
  return { done, total, percent: total ? Math.round((done / total) * 1000) / 10 : 100 };
}
