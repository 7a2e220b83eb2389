/**
 * @module GET /metrics (Prometheus text format) and the HTTP request histogram: every request is
 * timed from its arrival to its response and labelled with its route pattern (never the raw path:
 * ids would make a series each). Binds the metrics to this runtime's state.
 */
import { Elysia } from 'elysia';
import { stat } from 'node:fs/promises';
import type { Runtime } from '../runtime';
import type { FleetControl } from './fleet';
import { localBytes } from '../store/sync-objects';

const size = (path: string) => stat(path).then((s) => s.size, () => 0);

export function bindMetrics(rt: Runtime, fleet: FleetControl | null): void {
  rt.metrics.bind({
    streams: () => rt.streams.list(),
    mqtt: () => rt.mqtt?.status() ?? null,
    sync: async () => (rt.sync ? rt.sync.worker.status() : null),
    retention: () => rt.sync?.retention.status() ?? null,
    fleet: () => fleet?.view() ?? null,
    files: async () => ({ db_bytes: (await size(rt.paths.db)) + (await size(`${rt.paths.db}.wal`)), objects_bytes: rt.sync ? await localBytes(rt.db) : 0 }),
    ws: () => ({ clients: rt.hub.size }),
  });
}

export const metricsApi = (rt: Runtime) => {
  const started = new WeakMap<Request, number>();
  return new Elysia({ name: 'api-metrics', detail: { tags: ['metrics'] } })
    .onRequest(({ request }) => { started.set(request, performance.now()); })
    .onAfterResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
      const t0 = started.get(request);
      if (t0 === undefined) return;
      // An error or a guard answers with a Response of its own; set.status is the handler's.
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === 'number' ? set.status : 200;
      rt.metrics.observeHttp(request.method, route || 'unmatched', status, (performance.now() - t0) / 1000);
    })
    .get('/metrics', async ({ set }) => {
      set.headers['content-type'] = rt.metrics.contentType;
      return rt.metrics.text();
    }, { detail: { summary: 'Prometheus metrics (fovea_*): HTTP, streams, inference, publish, sync, fleet, files, process' } });
};
