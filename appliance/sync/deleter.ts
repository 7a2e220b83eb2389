/**
 * @module Deletes that reach the bucket: the objects of deleted images, queued durably
 * (sync_deletes) in the transaction that forgets them, are deleted from the bucket a few at a time.
 * A delete waits while its object's upload is in flight (else the upload would land after it); a
 * failed one waits with the uploads' backoff, so an offline box deletes them when the bucket is
 * back. Deleting a key that is not there succeeds: a delete repeated after a crash is harmless.
 */
import type { Db } from '../store/duckdb';
import { deleteCounts, deleteDone, deleteFailed, dueDeletes } from '../store/sync-objects';
import type { S3Bucket } from '../objects/s3';
import { retryDelayMs } from './policy';
import type { Logger } from '../shared/log';
import { BackgroundLoop } from '../shared/loop';
import type { Timers } from '../shared/timers';
import { messageOf } from '../shared/errors';

export interface DeleterDeps {
  db: Db;
  bucket: S3Bucket;
  /** Whether the upload of this local key is in flight now. */
  uploading(localKey: string): boolean;
  log: Logger;
  random?: () => number;
  timers?: Timers;
}

const BATCH = 32;
const MAX_IDLE_MS = 30_000;

export class RemoteDeleter extends BackgroundLoop {
  /** Objects deleted from the bucket since start. */
  deleted = 0;
  lastError: string | null = null;

  constructor(private readonly d: DeleterDeps) {
    super(d.timers);
  }

  protected crashed(e: unknown): void {
    this.d.log.error('bucket deletes stopped', { error: e });
  }

  /** Something was queued: look now. */
  kick(): void {
    this.nap.wake();
  }

  status(): Promise<{ pending: number; deleted: number; last_error: string | null }> {
    return deleteCounts(this.d.db).then((c) => ({
      pending: c.pending,
      deleted: this.deleted,
      last_error: this.lastError,
    }));
  }

  /** One pass over what is due; true when something waits for an upload in flight. */
  async once(): Promise<boolean> {
    let waiting = false;
    for (const r of await dueDeletes(this.d.db, BATCH)) {
      if (this.stopped) break;
      if (this.d.uploading(r.local_key)) {
        waiting = true;
        continue;
      }
      try {
        await this.d.bucket.delete(r.remote_key);
        await deleteDone(this.d.db, r.remote_key);
        this.deleted++;
        this.lastError = null;
      } catch (e) {
        this.lastError = messageOf(e);
        const wait = retryDelayMs(r.attempts + 1, (this.d.random ?? Math.random)());
        await deleteFailed(this.d.db, r.remote_key, this.lastError, new Date(this.timers.now() + wait));
        this.d.log.warn('bucket delete failed; it is retried', { key: r.remote_key, error: e, retry_in_ms: wait });
      }
    }
    return waiting;
  }

  protected async run(): Promise<void> {
    while (!this.stopped) {
      const waiting = await this.once();
      const { next } = await deleteCounts(this.d.db);
      const due = next ? Math.max(0, next.getTime() - this.timers.now()) : MAX_IDLE_MS;
      await this.nap.sleep(waiting ? 200 : Math.min(MAX_IDLE_MS, Math.max(50, due)));
    }
  }
}
