import { describe, expect, test } from 'bun:test';
import { Value } from '@sinclair/typebox/value';
import { Config } from '../../appliance/config/schema';
import { effectiveConfig, restartKeys } from '../../appliance/fleet/effective';
import { unhealthy } from '../../appliance/fleet/health';
import { emptyState, record, type AgentState, type Outcome } from '../../appliance/fleet/state';
import { stableJson } from '../../appliance/shared/json';

const config = (over: Record<string, unknown>) => Value.Default(Config, structuredClone(over)) as Config;

describe('effectiveConfig', () => {
  test('the fleet sets everything but where the box keeps its state, pulls from and finds its models', () => {
    const local = config({
      state_dir: '/var/lib/fovea',
      device_id: 'box-1',
      fleet: { repo: 'ssh://git@h/fleet.git' },
      models: { dir: '/opt/models', providers: ['cpu'] },
      api: { port: 9 },
    });
    const rendered = config({
      state_dir: './data',
      device_id: 'box-1',
      models: { providers: ['cuda', 'cpu'] },
      api: { port: 8080 },
      streams: [{ id: 'a', url: 'x.mp4', pipeline: 'people' }],
    });
    const e = effectiveConfig(local, rendered);
    expect([
      e.state_dir,
      e.fleet.repo,
      e.models.dir,
      e.models.providers,
      e.api.port,
      e.streams.map((s) => s.id),
    ]).toEqual(['/var/lib/fovea', 'ssh://git@h/fleet.git', '/opt/models', ['cuda', 'cpu'], 8080, ['a']]);
  });
});

describe('restartKeys', () => {
  test('streams and pipelines change live; any other key needs a restart; key order does not count', () => {
    const a = config({ streams: [{ id: 'a', url: 'x.mp4', pipeline: 'people' }], pipelines: { dir: '/r/1' } });
    const b = config({ streams: [], pipelines: { dir: '/r/2' } });
    const c = config({ log: { level: 'debug' }, search: { expansion_search: 64 } });
    const reordered = JSON.parse(stableJson(a)) as Config;
    expect([restartKeys(a, b), restartKeys(a, c), restartKeys(a, reordered)]).toEqual([[], ['log', 'search'], []]);
  });
});

describe('unhealthy', () => {
  const probe = (id: string, state: string, frames: number, last_error: string | null = null) => ({
    id,
    state,
    frames_analysed: frames,
    last_error,
  });
  test('healthy once every changed stream runs with results newer than the change', () => {
    const before = new Map([
      ['a', 10],
      ['b', 0],
    ]);
    expect(unhealthy(['a', 'b'], before, [probe('a', 'running', 11), probe('b', 'running', 1)])).toBeNull();
    expect(unhealthy([], before, [])).toBeNull();
  });
  test('names each stream that is down, missing or has no new results', () => {
    const before = new Map([['a', 10]]);
    expect(
      unhealthy(['a', 'b', 'c'], before, [probe('a', 'running', 10), probe('b', 'backoff', 0, 'Connection refused')]),
    ).toBe('a: running, no new results; b: backoff (Connection refused), no new results; c: not running');
  });
  test('a file read to its end is healthy when it produced results', () => {
    expect([
      unhealthy(['f'], new Map(), [probe('f', 'stopped', 40)]),
      unhealthy(['f'], new Map(), [probe('f', 'stopped', 0)]),
    ]).toEqual([null, 'f: stopped, no new results']);
  });
});

describe('agent state', () => {
  const outcome = (sha: string, state: Outcome['state']): Outcome => ({
    sha,
    branch: 'main',
    subject: sha,
    state,
    message: null,
    problems: [],
    at: '2026-12-01T00:00:00Z',
    duration_ms: 1,
  });
  test('an applied revision becomes the one the box runs; a failed one is remembered and the box keeps the last good', () => {
    let s: AgentState = { ...emptyState(), trial: { sha: 'a', branch: 'main', subject: 'a' } };
    s = record(s, outcome('a', 'applied'));
    s = record(s, outcome('b', 'rolled_back'));
    s = record(s, outcome('c', 'rejected'));
    expect([s.applied?.sha, s.trial, Object.keys(s.failed), s.history.map((h) => h.sha)]).toEqual([
      'a',
      null,
      ['b', 'c'],
      ['c', 'b', 'a'],
    ]);
  });
  test('history keeps the newest 20', () => {
    let s = emptyState();
    for (let i = 0; i < 25; i++) s = record(s, outcome(String(i), 'applied'));
    expect([s.history.length, s.history[0]!.sha, s.history.at(-1)!.sha]).toEqual([20, '24', '5']);
  });
});
