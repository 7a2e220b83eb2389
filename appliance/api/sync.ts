/** @module GET /api/sync: the upload queue to the central bucket (pending, oldest, throughput, errors). */
import { Elysia } from 'elysia';
import type { Runtime } from '../runtime';

export const syncApi = (rt: Runtime) =>
  new Elysia({ name: 'api-sync', detail: { tags: ['sync'] } })
    .get('/api/sync', async () => (rt.sync ? { enabled: true, ...(await rt.sync.worker.status()), retention: rt.sync.retention.status(), export: { interval_s: rt.config.sync.export_interval_s, last: rt.sync.exporter.last } } : { enabled: false }),
      { detail: { summary: 'S3 sync: state, pending count and bytes, oldest pending age, uploads of the last minute, last error' } });
