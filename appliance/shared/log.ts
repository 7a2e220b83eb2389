/**
 * @module Structured logs: one JSON object per line on stdout, which journald stores as is. Each module
 * takes a child logger with its context ({mod: 'api'}); every message and string field is scrubbed.
 */
import { scrub } from './scrub';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(context: Record<string, unknown>): Logger;
}

export type Sink = (line: string) => void;

const state: { level: Level; sink: Sink } = {
  level: 'info',
  sink: (line) => process.stdout.write(`${line}\n`),
};

export function configureLogs(opts: { level?: Level; sink?: Sink }): void {
  if (opts.level) state.level = opts.level;
  if (opts.sink) state.sink = opts.sink;
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') return scrub(value);
  // JSON has no 64-bit integers: keys and sums are logged as their decimal text.
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return scrub(value.message);
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
  }
  return value;
}

/** The latest warnings and errors of the process (scrubbed, as written), newest last: the System page shows them. */
const RECENT = 100;
const recent: Array<Record<string, unknown>> = [];
export const recentProblems = (): ReadonlyArray<Record<string, unknown>> => recent;

export function createLogger(context: Record<string, unknown> = {}): Logger {
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    const problem = rank[level] >= rank.warn;
    if (rank[level] < rank[state.level] && !problem) return;
    const entry = {
      ts: new Date().toISOString(),
      level,
      ...context,
      msg: scrub(msg),
      ...(clean(fields ?? {}) as object),
    };
    if (problem) {
      recent.push(entry);
      if (recent.length > RECENT) recent.shift();
    }
    if (rank[level] >= rank[state.level]) state.sink(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (more) => createLogger({ ...context, ...more }),
  };
}

export const rootLog = createLogger();
