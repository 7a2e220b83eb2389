/**
 * @module Asymmetric matchers for one `toEqual` on a whole value: a bound that fails still prints
 * the value it saw (a packed `x > 10` would print only `false`). Preloaded for every test file
 * (bunfig.toml); use as `expect.atLeast(10)` inside the expected value.
 */
import { expect } from 'bun:test';

const num = (v: unknown): v is number | bigint => typeof v === 'number' || typeof v === 'bigint';
const bound = (name: string, ok: (a: number | bigint, b: number | bigint) => boolean) =>
  function (this: unknown, actual: unknown, limit: number | bigint) {
    const pass = num(actual) && ok(actual, limit);
    return { pass, message: () => `expected ${String(actual)} to be ${name} ${String(limit)}` };
  };

expect.extend({
  atLeast: bound('at least', (a, b) => a >= b),
  atMost: bound('at most', (a, b) => a <= b),
  above: bound('above', (a, b) => a > b),
  below: bound('below', (a, b) => a < b),
  between(actual: unknown, lo: number, hi: number) {
    const pass = num(actual) && actual >= lo && actual <= hi;
    return { pass, message: () => `expected ${String(actual)} to be between ${lo} and ${hi}` };
  },
});

declare module 'bun:test' {
  // biome-ignore lint/suspicious/noExplicitAny: an asymmetric matcher stands in for a value of any type, as bun's own do
  type Asymmetric = any;
  interface AsymmetricMatchers {
    atLeast(n: number | bigint): Asymmetric;
    atMost(n: number | bigint): Asymmetric;
    above(n: number | bigint): Asymmetric;
    below(n: number | bigint): Asymmetric;
    between(lo: number, hi: number): Asymmetric;
  }
  interface Matchers<T> {
    atLeast(n: number | bigint): T;
    atMost(n: number | bigint): T;
    above(n: number | bigint): T;
    below(n: number | bigint): T;
    between(lo: number, hi: number): T;
  }
}
