/**
 * @module Registering, finding and deleting images. Validation and embedding happen before anything
 * is written, so a bad upload changes nothing; objects are written before the row, and removed again
 * if the row cannot be written, so a row never points at a missing file.
 */
import type { ObjectStore } from '../objects/port';
import type { Db, Sql } from '../store/duckdb';
import { Batcher } from '../shared/batcher';
import { RowCache } from './cache';
import {
  changeImages,
  deleteImage,
  getEmbedding,
  getImage,
  imagesByKeys,
  matchesFilters,
  insertImages,
  knownHashes,
  listImages,
  refCount,
  usageOf,
  type Filters,
  type ImageChange,
  type ImageRow,
  type NewImage,
  type Viewer,
} from '../store/images';
import type { Embedder } from '../inference/embedder';
import type { SearchIndex, Scored } from '../search/service';
import type { Exif, Imaging } from '../imaging/port';
import { AppError, diskFull, isDiskFull } from '../shared/errors';
import type { Logger } from '../shared/log';

export interface Upload {
  data: Uint8Array;
  fileName: string | null;
  name: string | null;
  description: string | null;
  tags: string[];
  /** Where it comes from, for the sync order and the bucket object's metadata. */
  origin?: { kind: 'snapshot'; stream: string; eventId: string } | { kind: 'image' };
  /** Whose it is: a user's id; absent, the box's own (snapshots, run outputs, a key without a user). */
  owner?: string;
  private?: boolean;
  /** A copy with boxes drawn (a snapshot): the thumbnail and preview are made from it, the original stays clean. */
  annotated?: Uint8Array;
}

/** A stored file to upload, as the image service hands it to sync. */
export interface ObjectToSync {
  key: string;
  size: number;
  origin: 'snapshot' | 'image' | 'clip' | 'thumbnail' | 'frame';
  meta: Record<string, string>;
  at: Date;
}

/** What the image service needs of sync (absent when sync is off). */
export interface SyncHook {
  enqueue(tx: Sql, objects: ObjectToSync[]): Promise<void>;
  committed(): void;
  forget(localKey: string): Promise<void>;
  /**
   * The disk budget is spent and what is left is not uploaded yet: bulk (registered images) is
   * refused until uploads catch up; event snapshots are still taken.
   */
  full(): boolean;
}
export interface Limits {
  maxPixels: number;
  /** Long side of the grid thumbnail and of the preview, in pixels. */
  thumbSize: number;
  previewSize: number;
  /** A user's storage quota in bytes (null: none). The box's own images have none. */
  quotaOf?: (owner: string) => number | null;
  /** images.strip_gps: a photo's location is neither stored nor served. */
  stripGps?: boolean;
  /** How many image rows are held in memory (the most recently used). */
  cachedRows?: number;
}

/** What a PATCH of images may change. */
export type { ImageChange, Viewer };

export type SearchQuery = { kind: 'file'; data: Uint8Array } | { kind: 'id'; id: string };

export class ImageService {
  /** Bytes of uploads accepted but not yet recorded, by owner (two at once cannot both slip under a quota). */
  private readonly reserved = new Map<string, number>();
  private readonly inserts: Batcher<NewImage & { done?: (key: bigint) => void; sync: ObjectToSync[] }>;
  /** Rows read again and again, kept current here: this service is the images table's only writer. */
  private readonly rows: RowCache;

  constructor(
    private readonly db: Db,
    private readonly objects: ObjectStore,
    private readonly embedder: Embedder,
    private readonly index: SearchIndex,
    private readonly imaging: Imaging,
    private readonly limits: Limits,
    private readonly log: Logger,
    private readonly sync: SyncHook | null = null,
  ) {
    this.rows = new RowCache(limits.cachedRows ?? 20_000);
    this.inserts = new Batcher(
      async (rows) => {
        // The objects are queued for upload in the same transaction that records them.
        const keys = await this.db.transaction(async (tx) => {
          const k = await insertImages(tx, rows);
          if (this.sync)
            await this.sync.enqueue(
              tx,
              rows.flatMap((r) => r.sync),
            );
          return k;
        });
        this.sync?.committed();
        for (const r of rows) r.done?.(keys.get(r.id)!);
      },
      { max: 64 },
    );
  }

  async register(u: Upload): Promise<ImageRow> {
    const origin = u.origin ?? { kind: 'image' };
    if (origin.kind !== 'snapshot' && this.sync?.full()) {
      throw new AppError(
        'storage_full',
        'the local disk budget is spent and the rest is not uploaded yet; new images are refused until uploads catch up (see GET /api/sync); event snapshots are still stored',
        { headers: { 'Retry-After': '60' } },
      );
    }
    const owner = u.owner ?? 'box';
    const sha256 = new Bun.CryptoHasher('sha256').update(u.data).digest('hex');
    const meta = await this.imaging.probe(u.data, this.limits.maxPixels);
    let exif = await this.imaging.readExif(u.data);
    let data = u.data;
    if (this.limits.stripGps && exif.gps) {
      // The location goes before anything is stored: not in the file, the thumbnail or any answer.
      data = await this.imaging.withoutLocation(u.data, this.limits.maxPixels, exif);
      exif = { ...exif, gps: null, orientation: exif.orientation === null ? null : 1 };
    }
    const release = await this.reserve(owner, data.byteLength);
    try {
      return await this.store({ ...u, data }, owner, meta, origin, exif, sha256);
    } finally {
      release();
    }
  }

  /** Hold `bytes` of `owner`'s quota until the upload is recorded; refuse what would cross it. */
  async reserve(owner: string, bytes: number): Promise<() => void> {
    const limit = owner === 'box' ? null : (this.limits.quotaOf?.(owner) ?? null);
    if (limit === null) return () => {};
    const used = ((await usageOf(this.db, [owner])).get(owner) ?? 0) + (this.reserved.get(owner) ?? 0);
    if (used + bytes > limit)
      throw new AppError(
        'quota_exceeded',
        `this upload (${bytes} bytes) would take your library past its quota: ${used} of ${limit} bytes used`,
        { details: { used_bytes: used, quota_bytes: limit, upload_bytes: bytes } },
      );
    this.reserved.set(owner, (this.reserved.get(owner) ?? 0) + bytes);
    return () => {
      const left = (this.reserved.get(owner) ?? 0) - bytes;
      if (left > 0) this.reserved.set(owner, left);
      else this.reserved.delete(owner);
    };
  }

  private async store(
    u: Upload,
    owner: string,
    meta: Awaited<ReturnType<Imaging['probe']>>,
    origin: NonNullable<Upload['origin']>,
    exif: Exif,
    sha256: string,
  ): Promise<ImageRow> {
    // Both decode the whole image (a truncated file fails either); sharp runs them on its thread pool.
    const [[thumb, prev], embedding] = await Promise.all([
      this.imaging.thumbnails(
        u.annotated ?? u.data,
        [this.limits.thumbSize, this.limits.previewSize],
        this.limits.maxPixels,
      ),
      this.embedder.embed(u.data, meta),
    ]);
    const put: string[] = [];
    const stored = async (data: Uint8Array, ext: string) => {
      try {
        const o = await this.objects.put(data, ext);
        put.push(o.key);
        return o;
      } catch (e) {
        await this.dropUnreferenced(put);
        throw e;
      }
    };
    const original = await stored(u.data, meta.ext);
    const small = await stored(thumb!, 'jpg');
    const preview = await stored(prev!, 'jpg');
    const now = new Date();
    const row: NewImage = {
      id: Bun.randomUUIDv7(),
      storage_key: original.key,
      thumb_key: small.key,
      file_name: u.fileName,
      size_bytes: u.data.byteLength,
      mime: meta.mime,
      width: meta.width,
      height: meta.height,
      name: u.name,
      description: u.description,
      tags: u.tags,
      taken_at: exif.taken_at,
      camera_model: exif.camera_model,
      embedding,
      model_id: this.embedder.modelRef,
      created_at: now,
      updated_at: now,
      owner,
      private: u.private ?? false,
      exif: JSON.stringify(exif),
      preview_key: preview.key,
      sha256,
    };
    const objMeta: Record<string, string> = {
      model: this.embedder.modelRef,
      ...(origin.kind === 'snapshot' ? { stream: origin.stream, event_id: origin.eventId } : {}),
    };
    const sync: ObjectToSync[] = [
      { key: original.key, size: original.size, origin: origin.kind, meta: objMeta, at: now },
      { key: small.key, size: small.size, origin: 'thumbnail', meta: objMeta, at: now },
      { key: preview.key, size: preview.size, origin: 'thumbnail', meta: objMeta, at: now },
    ];
    let vecKey = 0n;
    try {
      await this.inserts.add({
        ...row,
        sync,
        done: (k) => {
          vecKey = k;
        },
      });
    } catch (e) {
      await this.dropUnreferenced(put);
      if (isDiskFull(e)) throw diskFull(e, 'the image record');
      throw new AppError('store_failed', 'the image could not be recorded', { cause: e });
    }
    this.index.add(vecKey, embedding);
    this.log.debug('image registered', { id: row.id, bytes: row.size_bytes });
    const { embedding: _e, ...rest } = row;
    const registered = { ...rest, vec_key: vecKey };
    this.rows.put(registered);
    return registered;
  }

  /** An image, if `viewer` may see it (a private image of someone else is not found, not forbidden). */
  async get(id: string, viewer?: Viewer): Promise<ImageRow> {
    let row = this.rows.get(id) ?? null;
    if (!row) {
      row = await getImage(this.db, id);
      if (row) this.rows.put(row);
    }
    if (!row || (viewer && !visible(row, viewer))) throw new AppError('not_found', `image ${id} not found`);
    return row;
  }

  /** Change one image `viewer` can see; its id, files and vector stay. */
  async change(id: string, c: ImageChange, viewer: Viewer): Promise<ImageRow> {
    await this.get(id, viewer);
    try {
      await this.db.transaction((tx) => changeImages(tx, { ids: [id] }, c, new Date()));
    } finally {
      this.rows.drop(id);
    }
    return this.get(id, viewer);
  }

  /** Change every image the filters select among those `viewer` can see; the ids changed. */
  async changeMany(filters: Filters, c: ImageChange): Promise<string[]> {
    try {
      const ids = await this.db.transaction((tx) => changeImages(tx, filters, c, new Date()));
      for (const id of ids) this.rows.drop(id);
      return ids;
    } catch (e) {
      // What a failed transaction did is undone, but which rows it reached is not known: start over.
      this.rows.clear();
      throw e;
    }
  }

  /** Which of these upload hashes (sha256 of the files) `owner` already has. */
  known(owner: string, hashes: string[]): Promise<string[]> {
    return knownHashes(this.db, owner, hashes);
  }

  /** Bytes of originals stored per owner. */
  usage(owners: string[]): Promise<Map<string, number>> {
    return usageOf(this.db, owners);
  }

  list(filters: Filters, page: number, limit: number, sort: 'uploaded' | 'taken' = 'uploaded') {
    return listImages(this.db, filters, page, limit, sort);
  }

  async search(
    q: SearchQuery,
    opts: { limit: number; threshold: number; filters: Filters; exactBelow: number },
  ): Promise<Scored[]> {
    let vector: Float32Array;
    // Searching by an image one may not see is searching by an image that is not there.
    const of = q.kind === 'id' ? await this.get(q.id, opts.filters.viewer) : null;
    const beside = of && of.model_id === this.embedder.modelRef ? this.index.vector(BigInt(of.vec_key)) : null;
    if (q.kind === 'file') {
      // The probe's answer (format, pixel count) is the only validation; the crop reuses its size.
      vector = await this.embedder.embed(q.data, await this.imaging.probe(q.data, this.limits.maxPixels));
    } else if (beside) {
      vector = beside;
    } else {
      const found = await getEmbedding(this.db, q.id);
      if (!found) throw new AppError('not_found', `image ${q.id} not found`);
      if (found.model_id !== this.embedder.modelRef) {
        throw new AppError(
          'validation_failed',
          `image ${q.id} was embedded with ${found.model_id}, the index holds ${this.embedder.modelRef}`,
        );
      }
      vector = Float32Array.from(found.embedding);
    }
    return this.index.search(vector, { ...opts, rows: (keys, f) => this.rowsByKeys(keys, f) });
  }

  /** The rows of search hits that pass the filters: from memory, reading only those not held. */
  private async rowsByKeys(keys: bigint[], f: Filters): Promise<ImageRow[]> {
    const { rows, missing } = this.rows.byKeys(keys);
    if (missing.length)
      for (const r of await imagesByKeys(this.db, missing, {})) {
        this.rows.put(r);
        rows.push(r);
      }
    return rows.filter((r) => matchesFilters(r, f));
  }

  async delete(id: string, viewer?: Viewer): Promise<void> {
    const row = await this.get(id, viewer);
    await this.db.transaction((tx) => deleteImage(tx, id));
    this.rows.drop(id);
    this.index.remove(row.vec_key);
    await this.dropUnreferenced([row.storage_key, row.thumb_key, ...(row.preview_key ? [row.preview_key] : [])]);
  }

  async open(key: string): Promise<Blob> {
    const blob = await this.objects.get(key);
    if (!blob) throw new AppError('not_found', 'the stored file is missing');
    return blob;
  }

  /** Delete objects that no row references any more (identical uploads share one object). */
  private async dropUnreferenced(keys: string[]): Promise<void> {
    for (const key of keys) {
      if ((await refCount(this.db, key)) === 0) {
        await this.sync?.forget(key);
        await this.objects.delete(key);
      }
    }
  }

  async close(): Promise<void> {
    await this.inserts.flush();
    await this.index.flush();
  }
}

/** Whether `v` may see the image: shared ones, their own, and everything for an admin. */
export const visible = (r: Pick<ImageRow, 'owner' | 'private'>, v: Viewer): boolean =>
  v.admin || !r.private || (v.user !== null && r.owner === v.user);
