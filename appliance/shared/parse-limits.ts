/**
 * @module Limits on what a parser is asked to build from a user's text. A small document can still
 * be expensive: 9 KiB of brackets nest 4,000 levels deep, and a list reused through 1,000 aliases
 * expands a 176 KiB file into millions of nodes. Before anything walks a document, its size, its
 * nesting depth and (YAML) its size with every alias expanded are checked; a refusal is a 413 or
 * 422 that names the limit. Pure.
 */
import { AppError } from './errors';

export const PARSE_LIMITS = {
  /** Bytes of YAML text (a config, a fleet file; a client's pipeline has a tighter limit at its door). */
  yamlBytes: 256 * 1024,
  /** Levels of nesting, in YAML and JSON alike. */
  depth: 64,
  /** Nodes of a YAML document once every alias is expanded. */
  nodes: 100_000,
} as const;

export const tooDeep = (what: string) =>
  new AppError('validation_failed', `${what} nests deeper than ${PARSE_LIMITS.depth} levels`, {
    details: { limit: 'depth', max_depth: PARSE_LIMITS.depth },
  });

export const tooManyNodes = (what: string) =>
  new AppError('validation_failed', `${what} has more than ${PARSE_LIMITS.nodes} nodes with its aliases expanded`, {
    details: { limit: 'nodes', max_nodes: PARSE_LIMITS.nodes },
  });

export function checkSize(text: string, max: number, what: string): void {
  const bytes = Buffer.byteLength(text);
  if (bytes > max)
    throw new AppError('payload_too_large', `${what} is ${bytes} bytes, over the limit of ${max}`, {
      details: { limit: 'bytes', max_bytes: max },
    });
}

/**
 * The deepest nesting of brackets and braces outside quoted strings, stopping once past `stop`.
 * Exact for JSON; for YAML an upper bound of its flow collections (a bracket in a plain scalar
 * counts too, which can only refuse a file with more than `stop` of them unclosed).
 */
export function bracketDepth(text: string, stop = PARSE_LIMITS.depth): number {
  let depth = 0;
  let max = 0;
  let quote = '';
  // A quote opens a string only where a value may start (an apostrophe inside a word does not).
  let prev = '\n';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === ' ' || c === '\t') continue;
    const after = prev;
    prev = c;
    if ((c === '"' || c === "'") && '\n:-[{,?'.includes(after)) quote = c;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth > max) max = depth;
      if (max > stop) return max;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return max;
}

/** JSON from a user, its nesting checked before JSON.parse builds it; a 422 naming what is wrong. */
export function parseJsonLimited(text: string, what: string): unknown {
  if (bracketDepth(text) > PARSE_LIMITS.depth) throw tooDeep(what);
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('validation_failed', `${what} is not valid JSON`);
  }
}
