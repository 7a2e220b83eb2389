/**
 * @module Golden clips: `golden/<name>.yaml` in the fleet repo names a clip (a path, or a URL with
 * its sha256), a pipeline with overrides, and what running it must find: events counted per type
 * and label, optionally inside a window of the clip, each with a tolerance. This file reads and
 * checks those files and judges what a run observed against them; running a clip is golden-run.ts.
 * An expectation that breaks is a problem at its own line, as every fleet repo problem is.
 */
import { Type, type Static } from '@sinclair/typebox';
import { lineOf } from '../config/validate';
import type { FleetProblem, FleetYaml } from './repo';
import { readYaml, yamlFiles } from './repo';
import { join } from 'node:path';
import { loadPipeline } from '../pipeline/catalog';
import { messageOf } from '../shared/errors';

const Expectation = Type.Object(
  {
    label: Type.String({ minLength: 1, description: 'The class the events are about (person, car, …).' }),
    event: Type.Union(
      ['any', 'enter', 'leave', 'dwell', 'cross', 'count'].map((t) => Type.Literal(t)),
      { default: 'any', description: 'The event type counted; any: every type.' },
    ),
    sub_label: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Count only events whose object a classifier trained on the box named so (classify@1 with model custom/<name>, before the event stage).',
      }),
    ),
    count: Type.Integer({ minimum: 0, description: 'How many such events the clip gives.' }),
    tolerance: Type.Integer({ default: 0, minimum: 0, description: 'How far the count may be off, either way.' }),
    from_s: Type.Number({
      default: 0,
      minimum: 0,
      description: 'Count only events at or after this second of the clip.',
    }),
    to_s: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Count only events before this second.' })),
  },
  { additionalProperties: false },
);
export type Expectation = Static<typeof Expectation>;

export const GoldenFile = Type.Object(
  {
    description: Type.String({ default: '' }),
    clip: Type.Object(
      {
        path: Type.Optional(
          Type.String({ minLength: 1, description: "A video file; relative paths are from the fleet repo's top." }),
        ),
        url: Type.Optional(
          Type.String({ pattern: '^https?://', description: 'Where to fetch the clip (once; cached).' }),
        ),
        sha256: Type.Optional(
          Type.String({
            pattern: '^[0-9a-f]{64}$',
            description: "The clip's sha256: required with url, checked with path.",
          }),
        ),
      },
      { additionalProperties: false },
    ),
    pipeline: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'A pipeline of the repo, or a built-in.' }),
    overrides: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: "Options changed for this clip, as a run takes them ('detect.score': 0.5).",
    }),
    expect: Type.Array(Expectation, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type GoldenFile = Static<typeof GoldenFile>;

/** One event a run observed: its type, label, second of the clip, and the sub-label a classifier gave its object. */
export interface Observed {
  type: string;
  label: string;
  ptsS: number;
  subLabel?: string;
}

/** The golden files of a fleet repo checkout, each checked; a bad file is a problem, not a throw. */
export function readGolden(dir: string): {
  files: Array<FleetYaml<GoldenFile> & { name: string }>;
  problems: FleetProblem[];
} {
  const problems: FleetProblem[] = [];
  const files = [];
  for (const [name, path] of yamlFiles(dir, 'golden', problems)) {
    const g = readYaml(dir, path, GoldenFile, problems);
    if (!g) continue;
    const { clip } = g.data;
    const at = (message: string) => ({
      file: g.file,
      line: lineOf(g.parsed.doc, g.parsed.lc, '/clip'),
      path: '/clip',
      message,
    });
    if (!clip.path === !clip.url) problems.push(at('name the clip by exactly one of path or url'));
    else if (clip.url && !clip.sha256) problems.push(at('a clip fetched by url needs its sha256'));
    else files.push({ ...g, name });
  }
  return { files, problems };
}

/** The problems of a repo's golden files: their schema, their clip, and a pipeline that does not load with their overrides. */
export function checkGolden(dir: string): FleetProblem[] {
  const { files, problems } = readGolden(dir);
  for (const g of files)
    try {
      loadPipeline(join(dir, 'pipelines'), g.data.pipeline, g.data.overrides);
    } catch (e) {
      problems.push({
        file: g.file,
        line: lineOf(g.parsed.doc, g.parsed.lc, '/pipeline'),
        path: '/pipeline',
        message: messageOf(e),
      });
    }
  return problems;
}

/** How many observed events an expectation counts. */
export function counted(e: Expectation, observed: readonly Observed[]): number {
  return observed.filter(
    (o) =>
      o.label === e.label &&
      (e.sub_label === undefined || o.subLabel === e.sub_label) &&
      (e.event === 'any' || o.type === e.event) &&
      o.ptsS >= e.from_s &&
      (e.to_s === undefined || o.ptsS < e.to_s),
  ).length;
}

const describeExpectation = (e: Expectation) =>
  `${e.count}${e.tolerance ? ` ± ${e.tolerance}` : ''} ${e.event === 'any' ? '' : `'${e.event}' `}events of '${e.label}${e.sub_label ? ` · ${e.sub_label}` : ''}'${
    e.from_s > 0 || e.to_s !== undefined ? ` from ${e.from_s} s${e.to_s !== undefined ? ` to ${e.to_s} s` : ''}` : ''
  }`;

/** The expectations of one golden file that a run broke, each at its line. */
export function judge(g: FleetYaml<GoldenFile>, observed: readonly Observed[]): FleetProblem[] {
  return g.data.expect.flatMap((e, i) => {
    const got = counted(e, observed);
    if (Math.abs(got - e.count) <= e.tolerance) return [];
    const path = `/expect/${i}`;
    return [
      {
        file: g.file,
        line: lineOf(g.parsed.doc, g.parsed.lc, path),
        path,
        message: `expected ${describeExpectation(e)}, got ${got}`,
      },
    ];
  });
}

/** What a run found, summed per type and label ("enter person": 5), for the report of a passing clip. */
export function tally(observed: readonly Observed[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of observed) out[`${o.type} ${o.label}`] = (out[`${o.type} ${o.label}`] ?? 0) + 1;
  return out;
}
