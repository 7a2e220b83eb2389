/**
 * @module What a valid analysis session is: a new one from a caller's input, or an existing one with
 * a change applied. The streams and runs it names must exist (`known` says which do). Pure.
 */
import type { AnalysisSession, SessionInput, SessionStream } from '../contracts/analytics';
import { AppError } from '../shared/errors';

export interface Known {
  /** Streams configured or with counted results. */
  streams: Set<string>;
  /** Runs among those named that exist. */
  runs: Set<string>;
}

const invalid = (field: string, message: string) =>
  new AppError('validation_failed', `${field}: ${message}`, { details: { field } });

const text = (field: string, v: unknown, max: number, required: boolean): string => {
  if (v === undefined || v === null) {
    if (required) throw invalid(field, 'is required');
    return '';
  }
  if (typeof v !== 'string') throw invalid(field, 'must be text');
  const t = v.trim();
  if (required && !t) throw invalid(field, 'must not be empty');
  if (t.length > max) throw invalid(field, `is over ${max} characters`);
  return t;
};

const instant = (field: string, v: unknown): string => {
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t)) throw invalid(field, `'${String(v)}' is not an ISO 8601 time`);
  return new Date(t).toISOString();
};

function streamsOf(v: unknown, known: Known): SessionStream[] {
  if (!Array.isArray(v)) throw invalid('streams', 'must be a list of stream ids or {stream, zones}');
  const out = new Map<string, SessionStream>();
  for (const s of v) {
    const entry = typeof s === 'string' ? { stream: s, zones: [] } : (s as { stream?: unknown; zones?: unknown });
    if (!entry || typeof entry.stream !== 'string') throw invalid('streams', 'each is a stream id or {stream, zones}');
    if (!known.streams.has(entry.stream))
      throw new AppError('validation_failed', `streams: no stream '${entry.stream}' on this box`, {
        details: { field: 'streams', stream: entry.stream },
      });
    const zones = entry.zones ?? [];
    if (!Array.isArray(zones) || zones.some((z) => typeof z !== 'string' || !z))
      throw invalid('streams', `the zones of '${entry.stream}' must be a list of zone names`);
    out.set(entry.stream, { stream: entry.stream, zones: [...new Set(zones as string[])] });
  }
  return [...out.values()];
}

function runsOf(v: unknown, known: Known): string[] {
  if (!Array.isArray(v) || v.some((r) => typeof r !== 'string')) throw invalid('runs', 'must be a list of run ids');
  for (const r of v as string[])
    if (!known.runs.has(r))
      throw new AppError('validation_failed', `runs: no run '${r}'`, { details: { field: 'runs', run: r } });
  return [...new Set(v as string[])];
}

const flag = (field: string, v: unknown): boolean => {
  if (typeof v !== 'boolean') throw invalid(field, 'must be true or false');
  return v;
};

/** The run ids an input names (to look up before validating). */
export const runsNamed = (input: SessionInput): string[] =>
  Array.isArray(input?.runs) ? input.runs.filter((r): r is string => typeof r === 'string') : [];

/**
 * A session from `input` over `base` (null: a new one, for which name and starts_at are required).
 * A session counts at least one stream or run.
 */
export function applySession(
  base: AnalysisSession | null,
  input: SessionInput,
  known: Known,
  ctx: { id: string; owner: string | null; now: Date },
): AnalysisSession {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw invalid('body', 'must be a JSON object');
  const allowed = new Set(['name', 'description', 'streams', 'runs', 'starts_at', 'ends_at', 'public']);
  for (const k of Object.keys(input)) if (!allowed.has(k)) throw invalid(k, 'is not a session field');
  const has = (k: keyof SessionInput) => k in input;
  const s: AnalysisSession = {
    id: base?.id ?? ctx.id,
    name: has('name') || !base ? text('name', input.name, 200, true) : base.name,
    description: has('description') ? text('description', input.description, 4000, false) : (base?.description ?? ''),
    owner: base ? base.owner : ctx.owner,
    streams: has('streams') ? streamsOf(input.streams, known) : (base?.streams ?? []),
    runs: has('runs') ? runsOf(input.runs, known) : (base?.runs ?? []),
    starts_at: has('starts_at') || !base ? instant('starts_at', input.starts_at) : base.starts_at,
    ends_at: has('ends_at')
      ? input.ends_at === null
        ? null
        : instant('ends_at', input.ends_at)
      : (base?.ends_at ?? null),
    created_at: base?.created_at ?? ctx.now.toISOString(),
    updated_at: ctx.now.toISOString(),
    public: has('public') ? flag('public', input.public) : (base?.public ?? false),
  };
  if (s.ends_at && s.ends_at <= s.starts_at) throw invalid('ends_at', `must be after starts_at (${s.starts_at})`);
  if (!s.streams.length && !s.runs.length) throw invalid('streams', 'a session counts at least one stream or run');
  return s;
}
