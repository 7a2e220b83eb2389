/**
 * @module The recordings' housekeeper, as Frigate's record maintainer and cleanup: every few
 * seconds it takes each stream's complete segments out of the cache (probed whole, so the index
 * never lists a broken file), keeps them under `<stream>/<date>/` and indexes them, or drops them
 * in events mode when no item wants them; then applies retention and the disk budget, holding the
 * recorders while the disk stays full. At start it reconciles the folders with the index: a file
 * kept but not indexed (a crash between the two) is indexed, a row without its file goes.
 */
import { mkdir, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { dayOf, freeName, segmentStart } from './segments';
import { toDelete, triage, withRoll, type Item, type Retain } from './retention';
import type { SegmentProbe } from '../decode/copy';
import type { RecordedSegment } from '../contracts/recordings';
import type { Recorder } from './recorder';
import type { Timers } from '../shared/timers';
import type { Logger } from '../shared/log';

/** A segment as the index keeps it. */
export type IndexedSegment = RecordedSegment;

/** What the maintainer needs of the store. */
export interface SegmentIndex {
  addSegment(s: IndexedSegment): Promise<void>;
  removeSegments(ids: string[]): Promise<void>;
  segments(stream?: string): Promise<IndexedSegment[]>;
}

export interface ItemSpan {
  stream: string;
  start: number;
  end: number | null;
  severity: 'alert' | 'detection';
  keep: boolean;
}

export interface RecordedStream {
  id: string;
  mode: 'events' | 'continuous';
  preS: number;
  postS: number;
  retain: Retain;
  recorder: Recorder;
}

export interface MaintainerDeps {
  dir: string;
  index: SegmentIndex;
  spans(): Promise<ItemSpan[]>;
  probe(path: string): Promise<SegmentProbe | null>;
  minFreeBytes: number;
  revision(): string | null;
  timers: Timers;
  log: Logger;
  /** Free bytes on the recordings' filesystem (statfs; injected by the fault tests). */
  freeBytes?(dir: string): Promise<number>;
}

/** Room needed above min_free_mb before a held recorder starts again (so it does not flap at the edge). */
const RESUME_MARGIN = 64 * 1024 * 1024;

export const cacheOf = (dir: string, stream: string) => join(dir, stream, '.cache');

const fsFree = async (dir: string) => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

export class Maintainer {
  /** The order each cache file was first seen in, by path: creation order, whatever the clock says. */
  private seen = new Map<string, number>();
  private seq = 0;
  /** Where the last segment indexed of each stream ended (ms): the next one starts there when it follows on. */
  private lastEnd = new Map<string, number>();
  private lastFree: number | null = null;

  constructor(
    private readonly d: MaintainerDeps,
    private readonly streams: RecordedStream[],
  ) {}

  /** Free bytes on the recordings' filesystem at the last pass (null before the first). */
  get freeBytes(): number | null {
    return this.lastFree;
  }

  /** Reconcile the kept folders with the index (at start, before the recorders run). */
  async recover(): Promise<{ indexed: number; removed: number; dropped: number }> {
    const out = { indexed: 0, removed: 0, dropped: 0 };
    const rows = await this.d.index.segments();
    const known = new Set(rows.map((r) => r.path));
    for (const s of this.streams) {
      const cache = cacheOf(this.d.dir, s.id);
      await mkdir(cache, { recursive: true });
      // What the recorder left in its cache when the box stopped: whole segments wait for triage
      // (seen before anything the new recorder writes); the one cut short goes.
      for (const name of (await readdir(cache)).filter((n) => segmentStart(n)).sort()) {
        const path = join(cache, name);
        if (await this.d.probe(path)) this.seen.set(path, ++this.seq);
        else {
          await rm(path, { force: true });
          out.dropped++;
        }
      }
      const days = (await readdir(join(this.d.dir, s.id)).catch(() => [])).filter((n) => /^\d{4}-\d{2}-\d{2}$/.test(n));
      for (const day of days) {
        for (const name of await readdir(join(this.d.dir, s.id, day))) {
          const path = join(this.d.dir, s.id, day, name);
          if (known.has(relative(this.d.dir, path)) || !segmentStart(name)) continue;
          if (await this.index(s, path, name)) out.indexed++;
          else {
            await rm(path, { force: true });
            out.dropped++;
          }
        }
      }
    }
    const gone: string[] = [];
    for (const r of rows) if (!(await stat(join(this.d.dir, r.path)).catch(() => null))) gone.push(r.id);
    await this.d.index.removeSegments(gone);
    out.removed = gone.length;
    if (out.indexed || out.removed || out.dropped) this.d.log.warn('recordings reconciled with their index', out);
    return out;
  }

  /** Index a whole segment where it lies (probed here unless the caller did); false when it is not whole. */
  private async index(s: RecordedStream, path: string, name: string, probed?: SegmentProbe): Promise<boolean> {
    const p = probed ?? (await this.d.probe(path));
    const named = segmentStart(name)?.getTime();
    if (!p || named === undefined) return false;
    // A name has whole seconds (ffmpeg's strftime): a segment that follows the last one on (within
    // the second its name may be short of) starts where that one ended, so the times of a
    // recording add up to its length and a clip's in- and outpoints fall where they are asked.
    const prev = this.lastEnd.get(s.id);
    const start = prev !== undefined && named - prev > -1500 && named - prev < 1500 ? prev : named;
    const end = start + Math.round(p.durationS * 1000);
    this.lastEnd.set(s.id, end);
    const st = await stat(path);
    await this.d.index.addSegment({
      id: relative(this.d.dir, path),
      stream: s.id,
      path: relative(this.d.dir, path),
      start,
      end,
      bytes: st.size,
      codec: p.codec,
      width: p.width,
      height: p.height,
      keyframes: p.keyframes,
      revision: this.d.revision(),
    });
    return true;
  }

  /** One pass: the caches, then retention and the disk. */
  async pass(): Promise<void> {
    const now = this.d.timers.now();
    const spans = await this.d.spans();
    for (const s of this.streams) await this.cache(s, spans, now);
    await this.retain(spans, now);
  }

  private windows(s: RecordedStream, spans: ItemSpan[], now: number) {
    return spans.filter((it) => it.stream === s.id).map((it) => withRoll(it, s.preS, s.postS, now));
  }

  private async cache(s: RecordedStream, spans: ItemSpan[], now: number): Promise<void> {
    const dir = cacheOf(this.d.dir, s.id);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => segmentStart(n));
    for (const n of names.sort()) if (!this.seen.has(join(dir, n))) this.seen.set(join(dir, n), ++this.seq);
    const ordered = names.sort((a, b) => this.seen.get(join(dir, a))! - this.seen.get(join(dir, b))!);
    // The newest file is being written while ffmpeg runs: it is never touched.
    const closed = s.recorder.running ? ordered.slice(0, -1) : ordered;
    const windows = this.windows(s, spans, now);
    for (const name of closed) {
      const path = join(dir, name);
      const p = await this.d.probe(path);
      const start = segmentStart(name)!.getTime();
      if (!p) {
        // Cut short (ffmpeg killed, the box crashed, the disk filled): not a whole segment, never listed.
        this.d.log.warn('a segment cut short is dropped', { stream: s.id, segment: name });
        await this.drop(path);
        continue;
      }
      const verdict = triage({ start, end: start + p.durationS * 1000 }, s.mode, windows, now, s.preS);
      if (verdict === 'wait') continue;
      if (verdict === 'drop') {
        await this.drop(path);
        continue;
      }
      const dayDir = join(this.d.dir, s.id, dayOf(new Date(start)));
      await mkdir(dayDir, { recursive: true });
      const taken = new Set(await readdir(dayDir));
      const target = join(
        dayDir,
        freeName(name, (n) => taken.has(n)),
      );
      await rename(path, target);
      this.seen.delete(path);
      await this.index(s, target, name.replace(/(?:-\d+)?\.mp4$/, '.mp4'), p);
    }
  }

  private async drop(path: string): Promise<void> {
    await rm(path, { force: true });
    this.seen.delete(path);
  }

  private async retain(spans: ItemSpan[], now: number): Promise<void> {
    const byId = new Map(this.streams.map((s) => [s.id, s]));
    const items: Item[] = spans
      .filter((it) => byId.has(it.stream))
      .map((it) => withRoll(it, byId.get(it.stream)!.preS, byId.get(it.stream)!.postS, now));
    const rows = (await this.d.index.segments()).filter((r) => byId.has(r.stream));
    const free = await (this.d.freeBytes ?? fsFree)(this.d.dir);
    const gone = toDelete(
      rows.map((r) => ({ ...r, open: false })),
      items,
      (id) => byId.get(id)!.retain,
      now,
      { freeBytes: free, minFreeBytes: this.d.minFreeBytes },
    );
    if (gone.length) {
      await this.d.index.removeSegments(gone.map((g) => g.id));
      for (const g of gone) await rm(join(this.d.dir, g.id), { force: true });
      this.d.log.info('recordings deleted', { segments: gone.length, bytes: gone.reduce((n, g) => n + g.bytes, 0) });
    }
    const after = free + gone.reduce((n, g) => n + g.bytes, 0);
    this.lastFree = after;
    // Nothing left to delete and still short: recording stops (analysis goes on) until there is room.
    for (const s of this.streams) {
      if (after < this.d.minFreeBytes)
        s.recorder.hold(`under ${this.d.minFreeBytes} bytes free on the recordings disk`);
      else if (after >= this.d.minFreeBytes + RESUME_MARGIN && s.recorder.holding) s.recorder.release();
    }
  }
}
