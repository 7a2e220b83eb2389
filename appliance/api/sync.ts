/** @module GET /api/sync: the upload queue to the central bucket (pending, oldest, throughput, errors). */
import { Elysia } from 'elysia';
import type { SyncWorker } from '../sync/worker';
import type { Retention } from '../sync/retention';
import type { Exporter } from '../sync/export';
import type { RemoteDeleter } from '../sync/deleter';

/** The sync parts (null when sync is off) and the export interval. */
export interface SyncDeps {
  sync: { worker: SyncWorker; retention: Retention; exporter: Exporter; deleter: RemoteDeleter | null } | null;
  exportIntervalS: number;
}

export const syncApi = (rt: SyncDeps) =>
  new Elysia({ name: 'api-sync', detail: { tags: ['sync'] } }).get(
    '/api/sync',
    async () =>
      rt.sync
        ? {
            enabled: true,
            ...(await rt.sync.worker.status()),
            retention: rt.sync.retention.status(),
            export: { interval_s: rt.exportIntervalS, last: rt.sync.exporter.last },
            deletes: rt.sync.deleter ? await rt.sync.deleter.status() : null,
          }
        : { enabled: false },
    {
      detail: {
        summary: 'S3 sync: state, pending count and bytes, oldest pending age, uploads of the last minute, last error',
      },
    },
  );
