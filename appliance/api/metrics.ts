/**
 * @module GET /metrics (Prometheus text format) and the HTTP request histogram: every request is
 * timed from its arrival to its response and labelled with its route pattern (never the raw path:
 * ids would make a series each). Every request also gets an id (a well-formed X-Request-Id from
 * the caller, else a new one), echoed in the answer and carried by the log lines about it.
 */
import { Elysia } from 'elysia';
import type { Metrics } from '../metrics/prom';
import type { Logger } from '../shared/log';

const ids = new WeakMap<Request, string>();
/** The id of a request (for its log lines). */
export const requestIdOf = (req: Request) => ids.get(req) ?? null;

const started = new WeakMap<Request, number>();

/** A request replaced by a buffered copy (body-limit.ts) keeps its id and its timer. */
export function carryTiming(from: Request, to: Request): void {
  const id = ids.get(from);
  const t0 = started.get(from);
  if (id !== undefined) ids.set(to, id);
  if (t0 !== undefined) started.set(to, t0);
}

export const metricsApi = (metrics: Metrics, log: Logger) => {
  return new Elysia({ name: 'api-metrics', detail: { tags: ['metrics'] } })
    .onRequest(({ request, set }) => {
      started.set(request, performance.now());
      const given = request.headers.get('x-request-id');
      const id = given && /^[\w.:-]{1,64}$/.test(given) ? given : Bun.randomUUIDv7();
      ids.set(request, id);
      set.headers['x-request-id'] = id;
    })
    .onAfterResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
      const t0 = started.get(request);
      if (t0 === undefined) return;
      // An error or a guard answers with a Response of its own; set.status is the handler's.
      const status =
        responseValue instanceof Response ? responseValue.status : typeof set.status === 'number' ? set.status : 200;
      const seconds = (performance.now() - t0) / 1000;
      metrics.observeHttp(request.method, route || 'unmatched', status, seconds);
      log.debug('request', {
        method: request.method,
        route: route || 'unmatched',
        status,
        ms: Math.round(seconds * 1000),
        request_id: ids.get(request),
      });
    })
    .get(
      '/metrics',
      async ({ set }) => {
        set.headers['content-type'] = metrics.contentType;
        return metrics.text();
      },
      {
        detail: {
          summary: 'Prometheus metrics (fovea_*): HTTP, streams, inference, publish, sync, fleet, files, process',
        },
      },
    );
};
