/** The pure rules of runs: a stage's retry policy, a run's status from its items, a step's colour, progress. */
import { describe, expect, test } from 'bun:test';
import { Value } from '@sinclair/typebox/value';
import { RetryPolicy, failureKind, retryDelayS } from '../../appliance/pipeline/retry';
import { finalStatus, progress, specHash, stepSummary, tally, RunSpec } from '../../appliance/runs/model';
import { parsePipeline } from '../../appliance/pipeline/file';
import { AppError } from '../../appliance/shared/errors';

const policy = (p: object) => Value.Default(RetryPolicy, structuredClone(p)) as RetryPolicy;
const errno = (code: string) => Object.assign(new Error(code), { code });

describe('retry policy', () => {
  test('backoff grows by the factor up to max_s, and stops after limit more attempts', () => {
    const p = policy({ limit: 4, backoff: { initial_s: 1, factor: 3, max_s: 5 } });
    const worker = new AppError('model_unavailable', 'worker gone');
    expect([1, 2, 3, 4, 5].map((n) => retryDelayS(p, n, worker))).toEqual([1, 3, 5, 5, null]);
  });

  test('what is retried: transient by default; error only when asked; a bad input never', () => {
    const transientOnly = policy({ limit: 1 });
    const both = policy({ limit: 1, on: ['transient', 'error'] });
    const cases = {
      worker: new AppError('model_unavailable', 'x'),
      diskFull: errno('ENOSPC'),
      busy: errno('EBUSY'),
      wrapped: new Error('write failed', { cause: errno('EAGAIN') }),
      bug: new TypeError('undefined is not a function'),
      badImage: new AppError('unprocessable_image', 'truncated'),
    };
    expect(
      Object.fromEntries(
        Object.entries(cases).map(([k, e]) => [
          k,
          [failureKind(e), retryDelayS(transientOnly, 1, e), retryDelayS(both, 1, e)],
        ]),
      ),
    ).toEqual({
      worker: ['transient', 1, 1],
      diskFull: ['transient', 1, 1],
      busy: ['transient', 1, 1],
      wrapped: ['transient', 1, 1],
      bug: ['error', null, 1],
      badImage: ['bad_input', null, null],
    });
    expect(retryDelayS(null, 1, cases.worker)).toBeNull();
  });

  test('a bad retry block is an error with file:line, before anything runs', () => {
    const text = ['stages:', '  detect:', '    type: detect@1', '    retry: { limit: 99, on: [sometimes] }', ''].join(
      '\n',
    );
    expect(() => parsePipeline(text, 'p.yaml')).toThrow(/p\.yaml:4.*retry\/limit[\s\S]*p\.yaml:4.*retry\/on/);
    const ok = parsePipeline(text.replace('99, on: [sometimes]', '2'), 'p.yaml');
    expect(ok.stages[0]!.retry).toEqual({
      limit: 2,
      backoff: { initial_s: 1, factor: 2, max_s: 60 },
      on: ['transient'],
    });
  });
});

describe('run states', () => {
  test('a run is succeeded, failed, partially failed or canceled by its items', () => {
    expect([
      finalStatus(tally(['succeeded', 'succeeded']), false),
      finalStatus(tally(['failed', 'failed']), false),
      finalStatus(tally(['succeeded', 'failed']), false),
      finalStatus(tally(['succeeded', 'skipped']), true),
      finalStatus(tally([]), false),
    ]).toEqual(['succeeded', 'failed', 'partially_failed', 'canceled', 'succeeded']);
  });

  test("a step's state across items: running wins, then retrying, failed, pending; all done is succeeded", () => {
    expect([
      stepSummary(tally(['succeeded', 'running', 'failed'])).status,
      stepSummary(tally(['succeeded', 'retrying', 'pending'])).status,
      stepSummary(tally(['succeeded', 'failed', 'pending'])).status,
      stepSummary(tally(['succeeded', 'pending'])).status,
      stepSummary(tally(['succeeded', 'succeeded'])),
      stepSummary(tally(['skipped'])).status,
    ]).toEqual([
      'running',
      'retrying',
      'failed',
      'pending',
      { status: 'succeeded', counts: { succeeded: 2 } },
      'skipped',
    ]);
  });

  test('progress counts finished items (succeeded, failed, skipped)', () => {
    expect(progress(tally(['succeeded', 'failed', 'skipped', 'pending']))).toEqual({ done: 3, total: 4, percent: 75 });
    expect(progress(tally([]))).toEqual({ done: 0, total: 0, percent: 100 });
  });

  test('the idempotency hash ignores the key and key order, and counts uploads by content', () => {
    const a = Value.Default(RunSpec, {
      pipeline: 'p',
      overrides: { 'x.a': 1, 'x.b': 2 },
      idempotency_key: 'k1',
    }) as RunSpec;
    const b = Value.Default(RunSpec, {
      pipeline: 'p',
      overrides: { 'x.b': 2, 'x.a': 1 },
      idempotency_key: 'k2',
    }) as RunSpec;
    expect(specHash(a, ['h1'])).toBe(specHash(b, ['h1']));
    expect(specHash(a, ['h1'])).not.toBe(specHash(a, ['h2']));
    expect(specHash(a, [])).not.toBe(specHash({ ...a, priority: 3 }, []));
  });
});
