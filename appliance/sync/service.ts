/**
 * @module Sync as the rest of the appliance sees it: objects are queued in the transaction that
 * records their image (see ImageService), the worker is woken after the commit, images stored
 * before sync was turned on are queued at start, and the object of a deleted image is dropped from
 * the queue and, unless sync.keep_remote_on_delete keeps the bucket as an archive, queued for
 * deletion from the bucket too (sync/deleter).
 */
import type { Db, Sql } from '../store/duckdb';
import { dropObject, enqueueSync, uploadedRemoteKeys, type SyncItem } from '../store/sync-objects';
import type { RemoteDeleter } from './deleter';
import type { S3Bucket } from '../objects/s3';
import { PRIORITY, contentTypeOf, parseLocalKey, remoteKey, type Origin } from './policy';
import type { SyncWorker } from './worker';
import type { ObjectToSync, SyncHook } from '../images/service';

/** How many presigned URLs are kept (the oldest go first). */
const SIGNED_KEPT = 20_000;

/** The images service's SyncHook: queues stored files for upload in the caller's transaction. */
export class SyncQueue implements SyncHook {
  constructor(
    private readonly db: Db,
    private readonly prefix: string,
    private readonly device: string,
    private readonly worker: SyncWorker,
    private readonly bucket: S3Bucket,
    private readonly presignS: number,
    /** Whether the disk budget is spent on objects not yet uploaded (retention's over_budget). */
    readonly full: () => boolean = () => false,
    /** Deletes in the bucket too (null: the bucket keeps what was uploaded). */
    private readonly deleter: RemoteDeleter | null = null,
  ) {}

  /**
   * Presigned URLs handed out, by local key, until half their lifetime: an uploaded object keeps
   * its remote key, so an image's page does not ask DuckDB and sign again on every view.
   */
  private readonly signed = new Map<string, { url: string; until: number }>();

  /** Presigned GET URLs of the local keys already uploaded; the others are not in the map. */
  async urls(localKeys: string[], now = Date.now()): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const ask: string[] = [];
    for (const k of localKeys) {
      const s = this.signed.get(k);
      if (s && s.until > now) out.set(k, s.url);
      else ask.push(k);
    }
    if (!ask.length) return out;
    for (const [local, key] of await uploadedRemoteKeys(this.db, ask)) {
      const url = await this.bucket.presign(key, this.presignS);
      out.set(local, url);
      this.signed.delete(local);
      this.signed.set(local, { url, until: now + (this.presignS * 1000) / 2 });
      if (this.signed.size > SIGNED_KEPT) this.signed.delete(this.signed.keys().next().value as string);
    }
    return out;
  }

  itemOf(o: ObjectToSync): SyncItem {
    const { sha256, ext } = parseLocalKey(o.key);
    return {
      local_key: o.key,
      remote_key: remoteKey(this.prefix, this.device, o.at, sha256, ext),
      sha256,
      size: o.size,
      content_type: contentTypeOf(ext),
      priority: PRIORITY[o.origin],
      meta: { device: this.device, ...o.meta },
      created_at: o.at,
    };
  }

  /** Inside the caller's transaction. */
  enqueue(tx: Sql, objects: ObjectToSync[]): Promise<void> {
    return enqueueSync(
      tx,
      objects.map((o) => this.itemOf(o)),
    );
  }

  /** After the caller's commit. */
  committed(): void {
    this.worker.kick();
  }

  /** An object no image uses any more (after the image's row is gone). */
  async forget(localKey: string): Promise<void> {
    this.signed.delete(localKey);
    await this.db.transaction((tx) => dropObject(tx, localKey, this.deleter !== null));
    this.deleter?.kick();
  }

  /** Queue the objects of images recorded before sync was on (or before this table existed). */
  async backfill(): Promise<number> {
    const rows = await this.db.all<{ key: string; size: bigint; at: Date; origin: Origin; model: string }>(
      `SELECT storage_key AS key, size_bytes AS size, created_at AS at, CASE WHEN list_contains(tags, 'snapshot') THEN 'snapshot' ELSE 'image' END AS origin, model_id AS model
         FROM images WHERE storage_key NOT IN (SELECT local_key FROM sync_objects)`,
    );
    if (rows.length === 0) return 0;
    await this.db.transaction((tx) =>
      this.enqueue(
        tx,
        rows.map((r) => ({
          key: r.key,
          size: Number(r.size),
          origin: r.origin,
          meta: { model: r.model },
          at: new Date(r.at),
        })),
      ),
    );
    this.committed();
    return rows.length;
  }
}
