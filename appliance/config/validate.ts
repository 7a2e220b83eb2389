/**
 * @module Validates YAML text against a TypeBox schema and reports each problem with its JSON path
 * and the line it stands on in the file. Shared by the config, the model catalog and (later) the
 * pipelines and the fleet repo, so every YAML file of the appliance fails the same readable way.
 */
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import type { Static, TSchema } from '@sinclair/typebox';
import {
  LineCounter,
  parseDocument,
  isAlias,
  isNode,
  isCollection,
  isPair,
  isScalar,
  visit,
  type Document,
} from 'yaml';
import { AppError } from '../shared/errors';
import { isHostileKey } from '../shared/keys';
import { bracketDepth, checkSize, PARSE_LIMITS, tooDeep, tooManyNodes } from '../shared/parse-limits';

export interface Problem {
  path: string;
  line: number | null;
  message: string;
}

export function lineOf(doc: Document, lc: LineCounter, path: string): number | null {
  const keys = path
    .split('/')
    .slice(1)
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k.replace(/~1/g, '/').replace(/~0/g, '~')));
  // Walk up until a node exists: a missing key points at its parent object.
  for (let n = keys.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return null;
}

/** Line of the key itself for an unknown property (the value node may not exist as a scalar). */
function lineOfKey(doc: Document, lc: LineCounter, path: string): number | null {
  const parts = path.split('/');
  const key = parts.pop()!;
  const parentPath = parts.join('/');
  const parentKeys = parentPath.split('/').slice(1);
  const parent = parentKeys.length ? doc.getIn(parentKeys, true) : doc.contents;
  if (parent && typeof parent === 'object' && 'items' in parent) {
    for (const item of (parent as { items: Array<{ key?: unknown }> }).items) {
      const k = item.key;
      if (isNode(k) && (k as { value?: unknown }).value === key && k.range) return lc.linePos(k.range[0]).line;
    }
  }
  return lineOf(doc, lc, path);
}

export function formatProblems(file: string, problems: Problem[]): string {
  return problems.map((p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.path || '/'}: ${p.message}`).join('\n');
}

export interface Parsed {
  doc: Document;
  lc: LineCounter;
  data: unknown;
}

/** Parse YAML, failing with the file and line of a syntax error. */
export function parseYaml(text: string, file: string): Parsed {
  // Limits first: nothing below walks a document that is too large, too deep or too wide expanded.
  checkSize(text, PARSE_LIMITS.yamlBytes, file);
  if (bracketDepth(text) > PARSE_LIMITS.depth) throw tooDeep(file);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      path: '',
      line: e.linePos?.[0]?.line ?? null,
      message: e.message.split('\n')[0]!,
    }));
    throw new AppError('config_invalid', formatProblems(file, problems), { details: problems });
  }
  measure(doc, file);
  const keyProblems = badKeys(doc, lc);
  if (keyProblems.length)
    throw new AppError('config_invalid', formatProblems(file, keyProblems), { details: keyProblems });
  // Aliases resolve here, not while parsing: one to an anchor set later fails now, and one inside
  // its own anchor (`&a [*a]`) makes a cycle that no schema check could walk.
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (e) {
    const problems = [{ path: '', line: null, message: (e as Error).message.split('\n')[0]! }];
    throw new AppError('config_invalid', formatProblems(file, problems), { details: problems });
  }
  if (cyclic(data)) {
    const problems = [{ path: '', line: null, message: 'a YAML alias refers to the node that contains it (a cycle)' }];
    throw new AppError('config_invalid', formatProblems(file, problems), { details: problems });
  }
  return { doc, lc, data };
}

/**
 * Check the document's nesting and its size with every alias expanded (an alias counts as the
 * node it names, wherever it stands), before anything else walks it. Each node is measured once:
 * a list reused through a thousand aliases costs a thousand look-ups, not a thousand copies.
 */
function measure(doc: Document, file: string): void {
  const memo = new Map<unknown, { size: number; height: number }>();
  const open = new Set<unknown>();
  const visit = (n: unknown, level: number): { size: number; height: number } => {
    if (level > PARSE_LIMITS.depth) throw tooDeep(file);
    const node = isAlias(n) ? n.resolve(doc) : n;
    if (!isCollection(node)) return { size: 1, height: 0 };
    const known = memo.get(node);
    if (known) {
      if (level + known.height > PARSE_LIMITS.depth) throw tooDeep(file);
      return known;
    }
    // An alias inside the node it names: toJS reports the cycle below, with its own words.
    if (open.has(node)) return { size: 1, height: 0 };
    open.add(node);
    let size = 1;
    let height = 0;
    for (const item of node.items as unknown[]) {
      for (const child of isPair(item) ? [item.key, item.value] : [item]) {
        const r = visit(child, level + 1);
        size += r.size;
        height = Math.max(height, r.height + 1);
        if (size > PARSE_LIMITS.nodes) throw tooManyNodes(file);
      }
    }
    open.delete(node);
    const m = { size, height };
    memo.set(node, m);
    return m;
  };
  if (visit(doc.contents, 1).size > PARSE_LIMITS.nodes) throw tooManyNodes(file);
}

/**
 * Mapping keys that are lists, mappings or binary: the parser would stringify them into nonsense
 * keys (`[object Object]`), so they are refused with their line.
 */
function badKeys(doc: Document, lc: LineCounter): Problem[] {
  const out: Problem[] = [];
  visit(doc, {
    Pair(_, pair) {
      const k = pair.key;
      const bad = isCollection(k) || (isScalar(k) && k.value !== null && typeof k.value === 'object');
      const hostile = isScalar(k) && typeof k.value === 'string' && isHostileKey(k.value);
      if (!bad && !hostile) return;
      const range = (k as { range?: [number, number, number] }).range;
      out.push({
        path: '',
        line: range ? lc.linePos(range[0]).line : null,
        message: hostile
          ? `the key '${String((k as { value: unknown }).value)}' is not allowed`
          : 'a mapping key must be a plain value (not a list, a mapping or binary)',
      });
    },
  });
  return out;
}

function cyclic(v: unknown, path = new Set<object>()): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (path.has(v)) return true;
  path.add(v);
  const found = Object.values(v).some((x) => cyclic(x, path));
  path.delete(v);
  return found;
}

/** A message that names the allowed values of an enum-like union instead of "Expected union value". */
function describe(schema: TSchema, message: string, value: unknown): string {
  const got = value !== undefined && typeof value !== 'object' ? ` (got ${JSON.stringify(value)})` : '';
  const options = (schema as { anyOf?: Array<{ const?: unknown }> }).anyOf;
  if (options?.every((o) => o.const !== undefined)) {
    return `expected one of ${options.map((o) => JSON.stringify(o.const)).join(', ')}${got}`;
  }
  return `${message.charAt(0).toLowerCase()}${message.slice(1)}${got}`;
}

/** Problems of a value against a schema, each located in the YAML document when one is given. */
export function check(
  schema: TSchema,
  value: unknown,
  where?: { doc: Document; lc: LineCounter },
  prefix = '',
): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const e of Value.Errors(schema, value)) {
    // Unions report one error per branch; the first per path is the useful one.
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    const path = prefix + e.path;
    const unknownKey = e.type === ValueErrorType.ObjectAdditionalProperties;
    const message = unknownKey ? `unknown key '${e.path.split('/').pop()}'` : describe(e.schema, e.message, e.value);
    const line = where ? (unknownKey ? lineOfKey(where.doc, where.lc, path) : lineOf(where.doc, where.lc, path)) : null;
    problems.push({ path, line, message });
  }
  return problems;
}

/** Fill defaults then validate; throws config_invalid listing every problem with file:line. */
export function decode<S extends TSchema>(schema: S, parsed: Parsed | { data: unknown }, file: string): Static<S> {
  const value = Value.Default(schema, structuredClone(parsed.data ?? {}));
  const problems = check(schema, value, 'doc' in parsed ? parsed : undefined);
  if (problems.length > 0) throw new AppError('config_invalid', formatProblems(file, problems), { details: problems });
  return value as Static<S>;
}
