/** The pure guards against hostile input: canonical paths, hostile object keys, parsing limits. */
import { describe, expect, test } from 'bun:test';
import { canonicalPath } from '../../appliance/api/path';
import { ruleOf } from '../../appliance/api/access';
import { deepFreeze, setIn } from '../../appliance/shared/keys';
import { bracketDepth, parseJsonLimited } from '../../appliance/shared/parse-limits';
import { parsePipeline } from '../../appliance/pipeline/file';
import { parseYaml } from '../../appliance/config/validate';

const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? 'thrown';
  }
};

describe('canonicalPath', () => {
  test('every spelling of a path comes to one form, which the access table matches in any case', () => {
    const spellings = ['/api/users', '/api/users/', '//api/users', '/api//users//', '/%61pi/users'];
    expect(spellings.map(canonicalPath)).toEqual(spellings.map(() => '/api/users'));
    expect(ruleOf('GET', canonicalPath('/API/Users/'))?.path).toBe('/api/users');
    expect(ruleOf('GET', canonicalPath('/ws/analysis/'))?.path).toBe('/ws/analysis');
    expect(canonicalPath('/')).toBe('/');
    // Letter case is kept for what routes read (ids are case-sensitive).
    expect(canonicalPath('/api/images/AbC')).toBe('/api/images/AbC');
  });

  test('a path no client sends is refused: encoded slash or backslash, dot segment, broken escape, control character', () => {
    expect(
      [
        '/api/a%2fb',
        '/api/a%5Cb',
        '/api/../users',
        '/api/%2e%2e/users',
        '/api/%E0%A4%A',
        '/api/a%00b',
        '/api/a\\b',
      ].map((p) => codeOf(() => canonicalPath(p))),
    ).toEqual(Array(7).fill('bad_request'));
  });
});

describe('hostile object keys', () => {
  test('setIn refuses __proto__, constructor and prototype and follows own properties only', () => {
    const root: Record<string, unknown> = {};
    for (const path of [['__proto__', 'x'], ['a', 'constructor', 'prototype', 'x'], ['prototype']])
      expect(codeOf(() => setIn(root, path, 1, 'test'))).toBe('validation_failed');
    setIn(root, ['toString', 'x'], 1, 'test');
    expect([({} as Record<string, unknown>).x, root]).toEqual([undefined, { toString: { x: 1 } }]);
  });

  test('an override path through a prototype is a problem of the pipeline, not a write', () => {
    const text = 'stages:\n  detect:\n    type: detect@1\n';
    for (const key of [
      'detect.__proto__.polluted',
      'detect.constructor.prototype.polluted',
      'toString.x',
      '__proto__.x',
    ])
      expect(codeOf(() => parsePipeline(text, 'p.yaml', { [key]: 1 }))).toBe('config_invalid');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('a compiled pipeline and a frozen config cannot be changed', () => {
    const p = parsePipeline('stages:\n  detect:\n    type: detect@1\n    options: {score: 0.4}\n', 'p.yaml');
    expect(Object.isFrozen(p) && Object.isFrozen(p.stages[0]) && Object.isFrozen(p.stages[0]!.options)).toBe(true);
    const cfg = deepFreeze({ api: { auth: true, limits: [1, 2] } });
    expect(() => {
      (cfg.api as { auth: boolean }).auth = false;
    }).toThrow();
    expect(cfg.api.auth).toBe(true);
  });
});

describe('parsing limits', () => {
  test('bracketDepth counts nesting outside strings, and stops early past its limit', () => {
    expect(bracketDepth('{"a": [1, {"b": "[[[["}]}')).toBe(3);
    expect(bracketDepth("description: it's [fine]\nx: '[[[['")).toBe(1);
    expect(bracketDepth('['.repeat(1_000_000))).toBe(65);
  });

  test('JSON and YAML past the depth or node limits are refused naming the limit', () => {
    expect(codeOf(() => parseJsonLimited('['.repeat(65) + ']'.repeat(65), 'body'))).toBe('validation_failed');
    expect(parseJsonLimited('['.repeat(64) + ']'.repeat(64), 'body')).toBeDefined();
    const block = `${Array.from({ length: 70 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`;
    expect(() => parseYaml(block, 'deep.yaml')).toThrow('deep.yaml nests deeper than 64 levels');
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 6; i++)
      bomb += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    expect(() => parseYaml(bomb, 'bomb.yaml')).toThrow(
      'bomb.yaml has more than 100000 nodes with its aliases expanded',
    );
    expect(() => parseYaml(`x: "${'a'.repeat(300 * 1024)}"`, 'big.yaml')).toThrow('over the limit of 262144');
  });
});
