/**
 * @module Keys that come from users and become object keys: an override path (`detect.score`), a
 * filter, a YAML or JSON mapping key. `__proto__`, `constructor` and `prototype` are refused
 * wherever such a key is followed or written, since following them reaches the prototypes every
 * object of the process shares. What the box keeps once loaded (config, pipelines) is frozen, so
 * even a path this module does not guard cannot change it.
 */
import { AppError } from './errors';

const HOSTILE = new Set(['__proto__', 'constructor', 'prototype']);

export const isHostileKey = (k: string): boolean => HOSTILE.has(k);

/** Refuse a hostile key with a 422 that names where it was found. */
export function checkKey(k: string, where: string): void {
  if (isHostileKey(k))
    throw new AppError('validation_failed', `${where}: the key '${k}' is not allowed`, { details: { key: k } });
}

/**
 * Set `value` at `path` under `root`, making plain objects on the way; each key is checked and
 * only own properties are followed, so no path reaches a prototype.
 */
export function setIn(root: Record<string, unknown>, path: string[], value: unknown, where: string): void {
  // Every key is checked before anything is written: a refused path changes nothing.
  for (const k of path) checkKey(k, where);
  let node = root;
  for (const [i, k] of path.entries()) {
    if (i === path.length - 1) {
      node[k] = value;
      return;
    }
    const next = Object.hasOwn(node, k) ? node[k] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
}

/** Freeze a value and everything under it (plain data: objects and arrays). */
export function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
  return v;
}
