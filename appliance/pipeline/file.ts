/**
 * @module Pipeline files (`pipelines/<name>.yaml`): schema, validation and per-run overrides. All of
 * it happens before anything runs: an unknown stage type or version, a bad option, a missing need or
 * a cycle is reported with file and line, and a running pipeline is never touched by a bad file.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { check, formatProblems, lineOf, parseYaml, type Problem } from '../config/validate';
import { AppError } from '../shared/errors';
import { deepFreeze, isHostileKey, setIn } from '../shared/keys';
import { checkGraph } from './dag';
import { lookupStage, stageRefs } from './registry';
import type { StageDef } from './types';
import { RetryPolicy } from './retry';

export const PipelineFile = Type.Object(
  {
    description: Type.String({ default: '' }),
    input: Type.Object(
      {
        fps: Type.Number({
          default: 5,
          exclusiveMinimum: 0,
          maximum: 120,
          description: 'Frames per second to analyse.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    stages: Type.Record(
      Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
      Type.Object(
        {
          type: Type.String({ description: 'Stage type, optionally pinned: detect or detect@1.' }),
          // Optional rather than defaulted: Value.Default does not reach into Record values.
          needs: Type.Optional(Type.Array(Type.String())),
          options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          retry: Type.Optional(
            Type.Unknown({ description: 'When the stage fails: {limit, backoff: {initial_s, factor, max_s}, on}.' }),
          ),
          // additionalProperties: without it a key that misses the name pattern is not checked at all.
        },
        { additionalProperties: false },
      ),
      { minProperties: 1, additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export interface CompiledStage {
  name: string;
  def: StageDef;
  options: unknown;
  needs: string[];
  /** What to do when the stage fails on an input (null: fail at once). */
  retry: RetryPolicy | null;
}
export interface Pipeline {
  name: string;
  file: string;
  fps: number;
  stages: CompiledStage[];
  text: string;
}

/** `{'detect.score': 0.5}`: stage name, then an option path. */
export type Overrides = Record<string, unknown>;

function applyOverrides(data: Static<typeof PipelineFile>, overrides: Overrides): Problem[] {
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    const [stage, ...path] = key.split('.');
    const s = stage && Object.hasOwn(data.stages, stage) ? data.stages[stage] : undefined;
    if (!s || path.length === 0) {
      problems.push({
        path: `override ${key}`,
        line: null,
        message: `no stage '${stage}' to override (use stage.option=value)`,
      });
      continue;
    }
    const hostile = path.find(isHostileKey);
    if (hostile) {
      problems.push({ path: `override ${key}`, line: null, message: `the key '${hostile}' is not allowed` });
      continue;
    }
    setIn(s.options as Record<string, unknown>, path, value, `override ${key}`);
  }
  return problems;
}

export function parsePipeline(
  text: string,
  file: string,
  overrides: Overrides = {},
  name = file
    .split('/')
    .pop()!
    .replace(/\.ya?ml$/, ''),
): Pipeline {
  const parsed = parseYaml(text, file);
  const data = Value.Default(PipelineFile, structuredClone(parsed.data ?? {})) as Static<typeof PipelineFile>;
  const shape = check(PipelineFile, data, parsed);
  if (shape.length) throw new AppError('config_invalid', formatProblems(file, shape), { details: shape });
  for (const s of Object.values(data.stages)) {
    s.needs ??= [];
    s.options ??= {};
  }
  const problems = applyOverrides(data, overrides);
  const stages: CompiledStage[] = [];
  for (const [name, s] of Object.entries(data.stages)) {
    const def = lookupStage(s.type);
    if (!def) {
      problems.push({
        path: `/stages/${name}/type`,
        line: lineOf(parsed.doc, parsed.lc, `/stages/${name}/type`),
        message: `unknown stage type '${s.type}' (known: ${stageRefs().join(', ')})`,
      });
      continue;
    }
    const options = Value.Default(def.options, structuredClone(s.options));
    problems.push(...check(def.options, options, parsed, `/stages/${name}/options`));
    const retry = s.retry === undefined ? null : (Value.Default(RetryPolicy, structuredClone(s.retry)) as RetryPolicy);
    if (retry) problems.push(...check(RetryPolicy, retry, parsed, `/stages/${name}/retry`));
    stages.push({ name, def, options, needs: s.needs ?? [], retry });
  }
  const graph = checkGraph(Object.entries(data.stages).map(([name, s]) => ({ name, needs: s.needs ?? [] })));
  for (const g of graph.problems)
    problems.push({
      path: `/stages/${g.stage}/needs`,
      line: lineOf(parsed.doc, parsed.lc, `/stages/${g.stage}/needs`),
      message: g.message,
    });
  if (problems.length) throw new AppError('config_invalid', formatProblems(file, problems), { details: problems });
  const byName = new Map(stages.map((s) => [s.name, s]));
  // Frozen (the stage types stay the registry's): what runs is what was checked, whatever touches it later.
  const ordered = graph.order.map((n) => byName.get(n)!);
  for (const s of ordered) {
    deepFreeze(s.options);
    deepFreeze(s.needs);
    deepFreeze(s.retry);
    Object.freeze(s);
  }
  return Object.freeze({ name, file, fps: data.input.fps, stages: Object.freeze(ordered) as CompiledStage[], text });
}
