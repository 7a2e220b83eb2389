/**
 * @module Analytics: analysis sessions, the daily tables kept current (refreshed every interval and
 * before every view, so a view is never stale), rebuilt when the time zone or the independence
 * interval they were computed with changes, and the calendar, time-series and class views over a
 * stream, a session or everything.
 */
import type { Db } from '../store/duckdb';
import {
  bucketed,
  classTotals,
  countedStreams,
  rebuild,
  refresh,
  storedBasis,
  type Basis,
  type Scope,
} from '../store/analytics';
import { deleteSession, getSession, listSessions, putSession } from '../store/sessions';
import type {
  AnalysisSession,
  Bucketed,
  CalendarDay,
  ClassSummary,
  SeriesPoint,
  SessionInput,
} from '../contracts/analytics';
import { abundanceOf, dayIn, intervalOf, MAX_HOUR_DAYS, metricOf, rangeOf, type Interval, type Metric } from './model';
import { applySession, runsNamed } from './sessions';
import { AppError } from '../shared/errors';
import type { Logger } from '../shared/log';
import { Periodic } from '../shared/timers';

export interface AnalyticsDeps {
  db: Db;
  basis: Basis;
  /** Seconds between refreshes of the daily tables (0: only before a view). */
  refreshS: number;
  log: Logger;
  /** The streams configured now. */
  streams: () => string[];
  /** Which of these run ids exist. */
  runsExisting: (ids: string[]) => Promise<Set<string>>;
  now?: () => Date;
}

/** The query of a view, as the caller gave it (query-string values). */
export interface ViewQuery {
  session?: string;
  stream?: string;
  zone?: string;
  from?: string;
  to?: string;
  abundance?: string;
  interval?: string;
  classes?: string;
  /**
   * Runs the caller may not count (their streams are `run:<id>`): 'all' for an anonymous caller
   * (public analytics are aggregates of streams only), else other users' private runs.
   */
  hiddenRuns?: 'all' | string[];
  /** Of every stream (no session or stream named): the streams (default), the runs, or both. */
  source?: string;
}

export const SOURCES = ['streams', 'runs', 'all'] as const;

/** Whether a stream is a run the query may not count. */
const hiddenIn = (q: ViewQuery, stream: string) =>
  stream.startsWith('run:') && (q.hiddenRuns === 'all' || (q.hiddenRuns ?? []).includes(stream.slice('run:'.length)));

const DEFAULT_DAYS: Record<Interval, number> = { hour: 2, day: 30, week: 26 * 7 };

const dayText = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString().slice(0, 10));
/** A local hour bucket (a TIMESTAMP read back as if UTC) as local time text, YYYY-MM-DDTHH:00. */
const hourText = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString().slice(0, 16));

export class Analytics {
  private readonly periodic: Periodic;
  private readonly now: () => Date;

  constructor(private readonly d: AnalyticsDeps) {
    this.now = d.now ?? (() => new Date());
    this.periodic = new Periodic(async () => {
      await this.refresh().catch((e) => d.log.warn('analytics refresh failed; the next one retries', { error: e }));
    }, d.refreshS);
  }

  /** Rebuild when the tables were computed on another basis (or never), then refresh periodically. */
  async start(): Promise<this> {
    const stored = await storedBasis(this.d.db);
    const { timeZone, independenceS } = this.d.basis;
    if (!stored || stored.timeZone !== timeZone || stored.independenceS !== independenceS) {
      const r = await this.rebuild();
      if (stored)
        this.d.log.info('analytics rebuilt: the time zone or independence interval changed', {
          from: stored,
          to: this.d.basis,
          ...r,
        });
    }
    this.periodic.start();
    return this;
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** Bring the daily rows of every changed day up to date; the number of days recomputed. */
  refresh(): Promise<number> {
    return refresh(this.d.db, this.d.basis);
  }

  /** Recompute everything from the raw results. */
  rebuild(): Promise<{ records: number; days: number }> {
    return rebuild(this.d.db, this.d.basis);
  }

  // Sessions

  listSessions(): Promise<AnalysisSession[]> {
    return listSessions(this.d.db);
  }

  async session(id: string): Promise<AnalysisSession> {
    const s = await getSession(this.d.db, id);
    if (!s) throw new AppError('not_found', `no analysis session ${id}`);
    return s;
  }

  async createSession(input: SessionInput, owner: string | null): Promise<AnalysisSession> {
    const s = applySession(null, input, await this.known(input), {
      id: Bun.randomUUIDv7(),
      owner,
      now: this.now(),
    });
    await putSession(this.d.db, s);
    return s;
  }

  async updateSession(id: string, input: SessionInput): Promise<AnalysisSession> {
    const base = await this.session(id);
    const s = applySession(base, input, await this.known(input), { id, owner: base.owner, now: this.now() });
    await putSession(this.d.db, s);
    return s;
  }

  async deleteSession(id: string): Promise<void> {
    if (!(await deleteSession(this.d.db, id))) throw new AppError('not_found', `no analysis session ${id}`);
  }

  private async known(input: SessionInput) {
    return { streams: await this.knownStreams(), runs: await this.d.runsExisting(runsNamed(input)) };
  }

  /** Streams configured now or with counts (a session or view may name one no longer configured). */
  private async knownStreams(): Promise<Set<string>> {
    return new Set([...this.d.streams(), ...(await countedStreams(this.d.db))]);
  }

  // Views

  /** One value of `metric` per day that has data. */
  async calendar(
    metricName: string,
    q: ViewQuery,
  ): Promise<{ metric: Metric; from: string; to: string; days: CalendarDay[] }> {
    const metric = metricOf(metricName);
    const abundance = abundanceOf(q.abundance);
    const scope = await this.scope(q, 365);
    const rows = await this.query(scope, 'day', abundance, null);
    return {
      metric,
      from: scope.from,
      to: scope.to,
      days: rows.map((r) => ({ day: dayText(r.bucket), value: r[metric] })),
    };
  }

  /** `metric` per bucket of `interval`, with each class's abundance (only `classes` when given). */
  async series(q: ViewQuery & { metric?: string }): Promise<{
    metric: Metric;
    interval: Interval;
    from: string;
    to: string;
    points: SeriesPoint[];
  }> {
    const metric = metricOf(q.metric);
    const interval = intervalOf(q.interval);
    const abundance = abundanceOf(q.abundance);
    const classes = q.classes
      ? [
          ...new Set(
            q.classes
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean),
          ),
        ]
      : null;
    const scope = await this.scope(q, DEFAULT_DAYS[interval], interval === 'hour' ? MAX_HOUR_DAYS : undefined);
    const rows = await this.query(scope, interval, abundance, classes);
    return {
      metric,
      interval,
      from: scope.from,
      to: scope.to,
      points: rows.map((r) => ({
        t: interval === 'hour' ? hourText(r.bucket) : dayText(r.bucket),
        value: r[metric],
        total: r.total,
        classes: r.classes,
      })),
    };
  }

  /** Per class: total, share, first and last seen, days present. */
  async classes(q: ViewQuery): Promise<{ from: string; to: string; classes: ClassSummary[]; streams: string[] }> {
    const abundance = abundanceOf(q.abundance);
    const scope = await this.scope(q, 365);
    await this.refresh();
    const rows = await classTotals(this.d.db, scope, abundance);
    return {
      from: scope.from,
      to: scope.to,
      /** Every stream with counts (for a picker), whatever the scope. */
      streams: (await countedStreams(this.d.db)).filter((st) => !hiddenIn(q, st)),
      classes: rows.map((r) => ({
        label: r.label,
        total: r.total,
        share: r.share,
        first_seen: r.first_seen.toISOString(),
        last_seen: r.last_seen.toISOString(),
        days: r.days,
      })),
    };
  }

  private async query(
    scope: Scope,
    interval: Interval,
    abundance: ReturnType<typeof abundanceOf>,
    classes: string[] | null,
  ): Promise<Bucketed[]> {
    await this.refresh();
    return bucketed(this.d.db, this.d.basis, scope, interval, abundance, classes);
  }

  /** What a query covers: a session's streams, zones, runs and window, or a stream, or everything. */
  private async scope(q: ViewQuery, defaultDays: number, maxDays?: number): Promise<Scope> {
    const timeZone = this.d.basis.timeZone;
    if (q.zone && !q.stream)
      throw new AppError('validation_failed', 'zone needs a stream', { details: { field: 'zone' } });
    if (q.session) {
      const s = await this.session(q.session);
      let pairs = [
        ...s.streams.flatMap((x) => (x.zones.length ? x.zones : ['']).map((zone) => ({ stream: x.stream, zone }))),
        ...s.runs.map((r) => ({ stream: `run:${r}`, zone: '' })),
      ].filter((p) => !hiddenIn(q, p.stream));
      if (q.stream) {
        pairs = pairs.filter((p) => p.stream === q.stream && (!q.zone || p.zone === q.zone));
        if (!pairs.length)
          throw new AppError('validation_failed', `stream '${q.stream}' is not in session ${s.name}`, {
            details: { field: 'stream' },
          });
      }
      const range = rangeOf(q, {
        timeZone,
        now: this.now(),
        defaultDays,
        maxDays,
        within: {
          from: dayIn(timeZone, new Date(s.starts_at)),
          // ends_at is the first instant after the session: midnight ends the day before.
          to: s.ends_at ? dayIn(timeZone, new Date(Date.parse(s.ends_at) - 1)) : null,
        },
      });
      return { pairs, ...range };
    }
    const range = rangeOf(q, { timeZone, now: this.now(), defaultDays, maxDays });
    if (!q.stream) {
      const source = q.source ?? 'streams';
      if (!(SOURCES as readonly string[]).includes(source))
        throw new AppError('validation_failed', `source: ${SOURCES.join(', ')}`, { details: { field: 'source' } });
      // Photos analysed by runs are not what a camera saw: they count apart, when asked.
      const hiddenRuns = source === 'streams' ? 'all' : q.hiddenRuns;
      return { pairs: null, hiddenRuns, runsOnly: source === 'runs', ...range };
    }
    // A run the caller may not count is as unknown as a stream the box does not have.
    if (hiddenIn(q, q.stream) || (!(await this.knownStreams()).has(q.stream) && !q.stream.startsWith('run:')))
      throw new AppError('validation_failed', `no stream '${q.stream}' on this box`, { details: { field: 'stream' } });
    return { pairs: [{ stream: q.stream, zone: q.zone ?? '' }], ...range };
  }
}
