/**
 * @module The sync worker: uploads pending objects from the local store to the bucket, most urgent
 * first (event snapshots, then images, then thumbnails), a few at a time, each under its stable
 * content-derived key, so an upload repeated after a crash writes the same object again and never
 * a second one. A failed object waits with backoff and jitter (its own schedule, kept in DuckDB);
 * a bucket that is unreachable, refuses the credentials or does not exist pauses all uploads and
 * is probed again with backoff (state offline, unauthorized or no_bucket), rather than failing
 * every object in turn; when it answers, the backlog drains in priority order. Nothing is deleted
 * here (sync/deleter deletes the objects of deleted images).
 */
import type { Db } from '../store/duckdb';
import { duePending, markFailed, markUploaded, nextDue, syncCounts, type PendingRow } from '../store/sync-objects';
import { classifyS3Error, type S3Bucket, type S3FailureKind } from '../objects/s3';
import { probeDelayMs, retryDelayMs } from './policy';
import type { Logger } from '../shared/log';
import { BackgroundLoop } from '../shared/loop';
import type { Timers } from '../shared/timers';

export type SyncState = 'idle' | 'uploading' | 'offline' | 'unauthorized' | 'no_bucket';

export interface SyncDeps {
  db: Db;
  bucket: S3Bucket;
  /** The local file of a content key. */
  pathOf(key: string): string;
  concurrency: number;
  /** The longest wait between two probes of an unreachable bucket, in seconds (30 by default). */
  offlineProbeMaxS?: number;
  log: Logger;
  random?: () => number;
  /** The clock of backoffs, throughput and the mark flush (real by default). */
  timers?: Timers;
}

/** The longest a worker sleeps without looking at the table (new rows also wake it). */
const MAX_IDLE_MS = 30_000;
/** Due objects read from the table at once. */
const BATCH = 256;
/**
 * Finished uploads are recorded together this often: one statement instead of one per object. A
 * crash in between repeats those uploads, to the same keys.
 */
const MARK_EVERY_MS = 500;

export class SyncWorker extends BackgroundLoop {
  private state: SyncState = 'idle';
  private readonly inFlight = new Set<string>();
  /** Due objects read ahead, and uploads done but not yet recorded. */
  private buffer: PendingRow[] = [];
  private refilling: Promise<void> | null = null;
  /**
   * The last read found fewer due objects than asked: the table has nothing more until something
   * is queued (kick), an upload fails back into it, or a retry falls due; no reading until then.
   */
  private exhausted = false;
  /** Counts kicks, so a read that started before one cannot mark the table exhausted. */
  private kicks = 0;
  private readonly marking = new Set<string>();
  /** Finished uploads waiting to be recorded (flushed every MARK_EVERY_MS, and at stop). */
  private marks: Array<{ key: string; at: number }> = [];
  private markTimer: unknown = null;
  private markFlush: Promise<void> = Promise.resolve();
  private blockedFailures = 0;
  private lastError: { message: string; at: string; kind: S3FailureKind } | null = null;
  /** Uploads completed since start. */
  completed = 0;
  /** Completed uploads of the last minute, for throughput. */
  private recent: Array<{ at: number; bytes: number }> = [];

  constructor(private readonly d: SyncDeps) {
    super(d.timers);
  }

  protected crashed(e: unknown): void {
    this.d.log.error('sync worker failed', { error: e });
  }

  /** Whether this object's upload is in flight now. */
  uploading(localKey: string): boolean {
    return this.inFlight.has(localKey);
  }

  /** Something was queued: look now. */
  kick(): void {
    this.exhausted = false;
    this.kicks++;
    this.nap.wake();
  }

  async status() {
    const c = await syncCounts(this.d.db);
    const now = this.timers.now();
    this.recent = this.recent.filter((r) => now - r.at < 60_000);
    const bytes = this.recent.reduce((s, r) => s + r.bytes, 0);
    return {
      state: this.state,
      bucket: this.d.bucket.bucket,
      pending: c.pending,
      pending_bytes: c.pending_bytes,
      oldest_pending_age_s: c.oldest_pending
        ? Math.max(0, Math.round((now - c.oldest_pending.getTime()) / 1000))
        : null,
      uploaded: c.uploaded,
      uploaded_bytes: c.uploaded_bytes,
      in_flight: this.inFlight.size,
      /** Probes of the bucket since it last accepted uploads (0 while it does). */
      failed_probes: this.blockedFailures,
      last_minute: { objects: this.recent.length, bytes, bytes_per_s: Math.round(bytes / 60) },
      last_error: this.lastError,
    };
  }

  protected async run(): Promise<void> {
    while (!this.stopped) {
      if (this.blocked()) {
        this.buffer = [];
        this.exhausted = false;
        await this.probeBucket();
        continue;
      }
      // Due objects are read a batch at a time, ahead of need, and handed out from memory; the
      // uploads never wait for that query.
      this.refill();
      while (this.inFlight.size < this.d.concurrency && this.buffer.length) void this.upload(this.buffer.shift()!);
      if (this.inFlight.size === 0 && this.buffer.length === 0 && this.refilling) {
        await this.refilling;
        if (this.buffer.length) continue;
      }
      if (this.inFlight.size === 0 && this.buffer.length === 0) {
        if (this.state === 'uploading') this.state = 'idle';
        const due = await nextDue(this.d.db);
        const wait = due ? Math.min(MAX_IDLE_MS, Math.max(50, due.getTime() - this.timers.now())) : MAX_IDLE_MS;
        await this.nap.sleep(wait);
        this.exhausted = false;
      } else {
        // Each finished upload wakes the loop.
        await this.nap.sleep(MAX_IDLE_MS);
      }
    }
    while (this.inFlight.size) await this.nap.sleep(50);
    await this.refilling;
    await this.flushMarks();
  }

  /** Read the next due objects in the background when the read-ahead runs low; most urgent first. */
  private refill(): void {
    if (this.refilling || this.exhausted || this.buffer.length >= BATCH / 2) return;
    const kicks = this.kicks;
    const exclude = [...this.inFlight, ...this.marking, ...this.buffer.map((r) => r.local_key)];
    this.refilling = duePending(this.d.db, BATCH, exclude)
      .then((rows) => {
        this.exhausted = rows.length < BATCH && kicks === this.kicks;
        const taken = new Set([...this.inFlight, ...this.marking, ...this.buffer.map((r) => r.local_key)]);
        this.buffer = [...this.buffer, ...rows.filter((r) => !taken.has(r.local_key))].sort(
          (a, b) => a.priority - b.priority,
        );
      })
      .catch((e) => this.d.log.warn('sync: could not read the queue', { error: e }))
      .finally(() => {
        this.refilling = null;
        this.nap.wake();
      });
  }

  private async upload(r: PendingRow): Promise<void> {
    this.inFlight.add(r.local_key);
    if (this.state === 'idle') this.state = 'uploading';
    try {
      await this.d.bucket.putFile(
        r.remote_key,
        this.d.pathOf(r.local_key),
        r.size,
        { sha256Hex: r.sha256, contentType: r.content_type, metadata: JSON.parse(r.meta) as Record<string, string> },
        this.abort.signal,
      );
      // Recorded in groups: an upload repeated after a crash before this commit rewrites the same key.
      this.marking.add(r.local_key);
      this.marks.push({ key: r.local_key, at: this.timers.now() });
      this.markTimer ??= this.timers.set(() => {
        void this.flushMarks();
      }, MARK_EVERY_MS);
      this.recent.push({ at: this.timers.now(), bytes: r.size });
      this.completed++;
      this.state = 'uploading';
    } catch (e) {
      if (this.stopped) return;
      const err = classifyS3Error(e);
      this.lastError = { message: err.message, at: new Date(this.timers.now()).toISOString(), kind: err.kind };
      if (err.kind === 'local') {
        // The local copy is gone or unreadable (removed by hand?): nothing can be uploaded; say so, look again in a day.
        this.d.log.warn('sync: the local copy cannot be read', { key: r.local_key, error: err.message });
        await markFailed(this.d.db, r.local_key, err.message, new Date(this.timers.now() + 86_400_000)).catch(
          () => undefined,
        );
        return;
      }
      const bucketWide = err.kind === 'unreachable' || err.kind === 'unauthorized' || err.kind === 'no_bucket';
      if (bucketWide) {
        // Not this object's fault: it stays due, and uploads pause until a probe of the bucket
        // passes, so the backlog then drains in priority order without a failure count per object.
        await markFailed(this.d.db, r.local_key, err.message, new Date(this.timers.now())).catch(() => undefined);
        const state = err.kind === 'unreachable' ? 'offline' : err.kind;
        if (this.state !== state)
          this.d.log.warn('sync paused: the bucket does not take uploads', { state, error: err.message });
        this.state = state;
      } else {
        const delay = retryDelayMs(r.attempts + 1, (this.d.random ?? Math.random)());
        await markFailed(this.d.db, r.local_key, err.message, new Date(this.timers.now() + delay)).catch(
          () => undefined,
        );
        this.d.log.warn('sync: upload failed; will retry', {
          key: r.remote_key,
          error: err.message,
          retry_in_ms: delay,
        });
      }
    } finally {
      this.inFlight.delete(r.local_key);
      this.nap.wake();
    }
  }

  private blocked(): boolean {
    return this.state === 'offline' || this.state === 'unauthorized' || this.state === 'no_bucket';
  }

  /** Record the finished uploads in one statement; those that fail to record are uploaded again. */
  private flushMarks(): Promise<void> {
    if (this.markTimer) {
      this.timers.clear(this.markTimer);
      this.markTimer = null;
    }
    const done = this.marks;
    this.marks = [];
    this.markFlush = this.markFlush.then(async () => {
      if (done.length === 0) return;
      try {
        await markUploaded(this.d.db, done);
      } catch (e) {
        this.d.log.warn('sync: could not record uploads; they will be repeated', { objects: done.length, error: e });
      } finally {
        for (const x of done) this.marking.delete(x.key);
        this.nap.wake();
      }
    });
    return this.markFlush;
  }

  /** While the bucket is away or refuses us: probe it with backoff (see probeDelayMs), resume when it answers. */
  private async probeBucket(): Promise<void> {
    // Let the uploads in flight finish failing first.
    while (this.inFlight.size && !this.stopped) await this.nap.sleep(50);
    await this.nap.sleep(
      probeDelayMs(
        ++this.blockedFailures,
        this.state === 'offline',
        (this.d.random ?? Math.random)(),
        this.d.offlineProbeMaxS,
      ),
    );
    if (this.stopped) return;
    try {
      await this.d.bucket.probe();
      this.d.log.info('sync: the bucket accepts uploads again', { after_probes: this.blockedFailures });
      this.state = 'uploading';
      this.blockedFailures = 0;
    } catch (e) {
      const err = classifyS3Error(e);
      this.lastError = { message: err.message, at: new Date(this.timers.now()).toISOString(), kind: err.kind };
      this.state = err.kind === 'unauthorized' || err.kind === 'no_bucket' ? err.kind : 'offline';
    }
  }
}
