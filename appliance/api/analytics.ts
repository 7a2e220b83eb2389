/**
 * @module /api/sessions (analysis sessions: create, list, read, change, delete) and /api/analytics
 * (the calendar of a metric, its time series with per-class counts, the class table), each view as
 * JSON or, with ?format=csv, as CSV. With analytics.public the views are readable without signing
 * in; owners are then left out of what an anonymous caller sees.
 */
import { Elysia, t } from 'elysia';
import type { Analytics, ViewQuery } from '../analytics/service';
import type { AnalysisSession, SessionInput } from '../contracts/analytics';
import { ABUNDANCES, csv, INTERVALS, METRICS } from '../analytics/model';
import { identityOf, viewerOf } from './auth';
import type { Viewer } from '../store/images';
import { AppError } from '../shared/errors';

export interface AnalyticsDeps {
  analytics: Analytics;
  authRequired: boolean;
  /** The ids of the runs a viewer may not see (other users' private runs). */
  hiddenRuns: (viewer: Viewer) => string[];
}
import { jsonBody } from './views';

const viewQuery = {
  session: t.Optional(
    t.String({ maxLength: 64, description: 'An analysis session: its streams, zones, runs and window.' }),
  ),
  stream: t.Optional(t.String({ maxLength: 200, description: 'One stream (within the session, if one is given).' })),
  zone: t.Optional(t.String({ maxLength: 200, description: 'A named zone of the stream; default: the whole view.' })),
  from: t.Optional(t.String({ maxLength: 40, description: 'First local day (YYYY-MM-DD, or an ISO 8601 time).' })),
  to: t.Optional(t.String({ maxLength: 40, description: 'Last local day, included.' })),
  abundance: t.Optional(
    t.String({
      maxLength: 20,
      description: `What a class's abundance counts: ${ABUNDANCES.join(', ')} (default tracks).`,
    }),
  ),
  format: t.Optional(t.Union([t.Literal('json'), t.Literal('csv')])),
  source: t.Optional(
    t.String({
      maxLength: 10,
      description:
        'With no session or stream: streams (default: what the cameras saw), runs (photos and clips), or all.',
    }),
  ),
};

const csvResponse = (name: string, text: string) =>
  new Response(text, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}.csv"` },
  });

const readBody = async (request: Request) => (await jsonBody(request)) as SessionInput;

/** Whether the caller is anonymous on a box that asks for credentials (analytics.public lets them read). */
const anonymous = (request: Request, d: AnalyticsDeps) => d.authRequired && !identityOf(request);

/**
 * A session as the caller may see it. Anonymous callers see only sessions marked public, with no
 * owner and no runs (public analytics are aggregates of streams only).
 */
function sessionFor(request: Request, d: AnalyticsDeps, s: AnalysisSession): AnalysisSession | null {
  if (!anonymous(request, d)) return s;
  return s.public ? { ...s, owner: null, runs: [] } : null;
}

/** A view's query with what the caller may not count; a non-public session is unknown to anonymous callers. */
async function scoped<Q extends ViewQuery>(request: Request, d: AnalyticsDeps, q: Q): Promise<Q> {
  if (anonymous(request, d)) {
    if (q.session && !sessionFor(request, d, await d.analytics.session(q.session)))
      throw new AppError('not_found', `no analysis session ${q.session}`);
    return { ...q, hiddenRuns: 'all' };
  }
  return { ...q, hiddenRuns: d.hiddenRuns(viewerOf(request, d.authRequired)) };
}

export const analyticsApi = (d: AnalyticsDeps) => {
  const analytics = d.analytics;
  return new Elysia({ name: 'api-analytics', detail: { tags: ['analytics'] } })
    .get(
      '/api/sessions',
      async ({ request }) => ({
        items: (await analytics.listSessions()).flatMap((s) => sessionFor(request, d, s) ?? []),
      }),
      { detail: { summary: 'Analysis sessions, newest start first' } },
    )
    .post(
      '/api/sessions',
      async ({ request, set }) => {
        const s = await analytics.createSession(await readBody(request), identityOf(request)?.subject ?? null);
        set.status = 201;
        return s;
      },
      {
        parse: 'none',
        detail: {
          summary: 'Create an analysis session',
          description:
            'JSON: name, starts_at (required); description, streams (ids, or {stream, zones}), runs (ids), ends_at. Each stream and run must exist (422 naming it).',
        },
      },
    )
    .get(
      '/api/sessions/:id',
      async ({ request, params }) => {
        const s = sessionFor(request, d, await analytics.session(params.id));
        if (!s) throw new AppError('not_found', `no analysis session ${params.id}`);
        return s;
      },
      {
        detail: { summary: 'One analysis session' },
      },
    )
    .patch(
      '/api/sessions/:id',
      async ({ request, params }) => analytics.updateSession(params.id, await readBody(request)),
      {
        parse: 'none',
        detail: { summary: 'Change a session: the fields given replace theirs' },
      },
    )
    .delete(
      '/api/sessions/:id',
      async ({ params, set }) => {
        await analytics.deleteSession(params.id);
        set.status = 204;
      },
      { detail: { summary: 'Delete a session (the counts it covered stay)' } },
    )
    .get(
      '/api/analytics/calendar/:metric',
      async ({ params, query, request }) => {
        const r = await analytics.calendar(params.metric, await scoped(request, d, query as ViewQuery));
        if (query.format === 'csv')
          return csvResponse(
            `calendar-${r.metric}`,
            csv(
              ['day', r.metric],
              r.days.map((d) => [d.day, d.value]),
            ),
          );
        return r;
      },
      {
        query: t.Object(viewQuery),
        detail: {
          summary: 'One value of a metric per local day with data',
          description: `metric: ${METRICS.join(', ')}. Default range: the year up to today (clipped to the session's window).`,
        },
      },
    )
    .get(
      '/api/analytics/time-series',
      async ({ query, request }) => {
        const r = await analytics.series(await scoped(request, d, query as ViewQuery & { metric?: string }));
        if (query.format === 'csv') {
          const names = [...new Set(r.points.flatMap((p) => Object.keys(p.classes)))].sort();
          return csvResponse(
            `series-${r.metric}-${r.interval}`,
            csv(
              ['t', r.metric, 'total', ...names],
              r.points.map((p) => [p.t, p.value, p.total, ...names.map((n) => p.classes[n] ?? 0)]),
            ),
          );
        }
        return r;
      },
      {
        query: t.Object({
          ...viewQuery,
          metric: t.Optional(t.String({ maxLength: 20, description: `${METRICS.join(', ')} (default shannon).` })),
          interval: t.Optional(t.String({ maxLength: 10, description: `${INTERVALS.join(', ')} (default day).` })),
          classes: t.Optional(
            t.String({ maxLength: 4000, description: 'Comma-separated classes: the metric over these only.' }),
          ),
        }),
        detail: {
          summary: 'A metric per hour, day or week, with each class’s abundance',
          description: 'Hours cover at most 31 days at once. Default range: 2 days of hours, 30 of days, 26 weeks.',
        },
      },
    )
    .get(
      '/api/analytics/classes',
      async ({ query, request }) => {
        const r = await analytics.classes(await scoped(request, d, query as ViewQuery));
        if (query.format === 'csv')
          return csvResponse(
            'classes',
            csv(
              ['class', 'total', 'share', 'first_seen', 'last_seen', 'days'],
              r.classes.map((c) => [c.label, c.total, c.share, c.first_seen, c.last_seen, c.days]),
            ),
          );
        return r;
      },
      {
        query: t.Object(viewQuery),
        detail: { summary: 'Per class: total, share, first and last seen, days present' },
      },
    );
};
