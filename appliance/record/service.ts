/**
 * @module The box's recordings: one recorder per stream whose `record.enabled` is set (its `record`
 * input, else its url), the maintainer on a timer, and the clips people ask for, cut by stream copy
 * from the indexed segments into a short-lived cache (a player's Range requests read one file).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StreamConfig } from '../config/schema';
import { resolveSource } from '../decode/source';
import type { Playback, SegmentProbe, SpawnCopy } from '../decode/copy';
import { Recorder, type RecorderStatus } from './recorder';
import { cacheOf, Maintainer, type IndexedSegment, type ItemSpan, type SegmentIndex } from './maintainer';
import { recordArgs } from './segments';
import { clipArgs, concatList, planClip, playArgs } from './clip';
import { AppError } from '../shared/errors';
import { Periodic, type Timers } from '../shared/timers';
import type { Logger } from '../shared/log';
import { stableJson } from '../shared/json';

export interface RecordingsDeps {
  /** Recorded video as fragmented MP4 for a browser (the timeline's player). */
  play?: (args: string[]) => Promise<Playback>;
  dir: string;
  index: SegmentIndex & { range(stream: string, start: number, end: number): Promise<IndexedSegment[]> };
  spans(): Promise<ItemSpan[]>;
  spawn: SpawnCopy;
  probe(path: string): Promise<SegmentProbe | null>;
  minFreeBytes: number;
  intervalS: number;
  revision(): string | null;
  timers: Timers;
  log: Logger;
  freeBytes?(dir: string): Promise<number>;
  /** After each pass: the clips that go to the bucket (null: sync is off). */
  archive?: { pass(): Promise<number> } | null;
}

/** A clip made from the recordings: where its file is and what it covers (ms). */
export interface Clip {
  path: string;
  start: number;
  end: number;
  gapMs: number;
}

/** How long a cut clip stays on disk for the player's next Range request. */
const CLIP_TTL_MS = 10 * 60_000;
/** The longest clip one request may ask for. */
export const MAX_CLIP_MS = 3_600_000;

/** The record input of a stream: the one `inputs` gives the record role, else url. */
export function recordInputOf(c: StreamConfig): string {
  return c.inputs.find((i) => i.roles.includes('record'))?.url ?? c.url;
}

const recordKey = (c: StreamConfig) =>
  stableJson({ url: recordInputOf(c), auth: c.auth, u: c.username, r: c.record, loop: c.loop });

export class Recordings {
  private recorders = new Map<string, { recorder: Recorder; cfg: StreamConfig }>();
  private maintainer: Maintainer | null = null;
  private periodic: Periodic | null = null;
  private cutting = new Map<string, Promise<Clip>>();

  constructor(private readonly d: RecordingsDeps) {}

  private build(c: StreamConfig): Recorder {
    const src = resolveSource({ url: recordInputOf(c), auth: c.auth, username: c.username, password: c.password });
    const args = recordArgs(src, {
      cacheDir: cacheOf(this.d.dir, c.id),
      segmentS: c.record.segment_s,
      timeoutS: c.stall_s,
      loop: c.loop,
    });
    return new Recorder(
      { stream: c.id, args, finite: src.kind === 'file' && !c.loop },
      { spawn: this.d.spawn, timers: this.d.timers, log: this.d.log.child({ stream: c.id }) },
    );
  }

  /** Record the streams that ask for it: reconcile the kept files with the index, then start. */
  async start(streams: StreamConfig[]): Promise<void> {
    // Clips cut before a restart are not reused: the folder starts empty.
    await rm(join(this.d.dir, '.clips'), { recursive: true, force: true });
    await mkdir(join(this.d.dir, '.clips'), { recursive: true });
    for (const c of streams.filter((s) => s.enabled && s.record.enabled))
      this.recorders.set(c.id, { recorder: this.build(c), cfg: c });
    this.maintainer = new Maintainer(
      { ...this.d },
      [...this.recorders.values()].map(({ recorder, cfg }) => ({
        id: cfg.id,
        mode: cfg.record.mode,
        preS: cfg.record.pre_s,
        postS: cfg.record.post_s,
        retain: cfg.record.retain,
        recorder,
      })),
    );
    await this.maintainer.recover();
    for (const { recorder } of this.recorders.values()) recorder.start();
    this.periodic = new Periodic(() => this.pass(), this.d.intervalS, this.d.timers);
    this.periodic.start();
  }

  private async pass(): Promise<void> {
    try {
      await this.maintainer?.pass();
      await this.d.archive?.pass();
      await this.sweepClips();
    } catch (e) {
      this.d.log.error('recordings pass failed; the next one tries again', { error: e });
    }
  }

  /** The configs of the streams recorded now. */
  recorded(): StreamConfig[] {
    return [...this.recorders.values()].map((r) => r.cfg);
  }

  /** Whether the recording config of these streams differs from what runs (a fleet change). */
  differs(streams: StreamConfig[]): boolean {
    const want = streams.filter((s) => s.enabled && s.record.enabled);
    if (want.length !== this.recorders.size) return true;
    return want.some((c) => {
      const r = this.recorders.get(c.id);
      return !r || recordKey(r.cfg) !== recordKey(c);
    });
  }

  /** Stop the recorders (each finishes or loses only its open segment) and the maintainer. */
  async stop(): Promise<void> {
    await this.periodic?.stop();
    await Promise.all([...this.recorders.values()].map((r) => r.recorder.stop()));
    this.recorders.clear();
  }

  /** Each recorded stream's state, with what its index holds. */
  async status(): Promise<
    Array<
      RecorderStatus & {
        stream: string;
        mode: string;
        segments: number;
        bytes: number;
        first: string | null;
        last: string | null;
      }
    >
  > {
    const rows = await this.d.index.segments();
    return [...this.recorders.values()].map(({ recorder, cfg }) => {
      const mine = rows.filter((r) => r.stream === cfg.id);
      return {
        stream: cfg.id,
        mode: cfg.record.mode,
        ...recorder.status,
        segments: mine.length,
        bytes: mine.reduce((n, r) => n + r.bytes, 0),
        first: mine.length ? new Date(mine[0]!.start).toISOString() : null,
        last: mine.length ? new Date(mine.at(-1)!.end).toISOString() : null,
      };
    });
  }

  get freeBytes(): number | null {
    return this.maintainer?.freeBytes ?? null;
  }

  isRecorded(stream: string): boolean {
    return this.recorders.has(stream);
  }

  /** The stream's recorded spans in [start, end): segments that touch merged, so a gap shows as one. */
  async timeline(stream: string, start: number, end: number): Promise<Array<{ start: number; end: number }>> {
    const runs: Array<{ start: number; end: number }> = [];
    for (const s of await this.d.index.range(stream, start, end)) {
      const last = runs.at(-1);
      // Segments follow each other within a frame or two; more is a gap (the camera dropped).
      if (last && s.start - last.end <= 1000) last.end = Math.max(last.end, s.end);
      else runs.push({ start: s.start, end: s.end });
    }
    return runs;
  }

  /**
   * Play from `start` on (the keyframe at or before it) to the end of that recorded stretch, an hour
   * at most, as fragmented MP4 at the player's pace; with where it starts (ms).
   */
  async play(stream: string, start: number): Promise<Playback & { start: number }> {
    if (!this.d.play) throw new AppError('unavailable', 'playback is not set up on this box');
    const run = (await this.timeline(stream, start - 1, start + MAX_CLIP_MS)).find((r) => r.end > start);
    if (!run)
      throw new AppError('not_found', `no recording of stream ${stream} at or after ${new Date(start).toISOString()}`);
    const from = Math.max(start, run.start);
    const segs = await this.d.index.range(stream, from, Math.min(run.end, from + MAX_CLIP_MS));
    const plan = planClip(
      segs.map((s) => ({ path: join(this.d.dir, s.path), start: s.start, end: s.end, keyframes: s.keyframes })),
      from,
      Math.min(run.end, from + MAX_CLIP_MS),
    )!;
    const list = join(this.d.dir, '.clips', `play-${Bun.randomUUIDv7()}.txt`);
    await Bun.write(list, concatList(plan));
    try {
      return { ...(await this.d.play(playArgs(list))), start: plan.start };
    } finally {
      // ffmpeg has opened the list once it wrote the init segment.
      await rm(list, { force: true });
    }
  }

  /** A clip of [start, end) by stream copy from the keyframe at or before start. Throws not_found with the reason. */
  async clip(stream: string, start: number, end: number): Promise<Clip> {
    if (!(end > start)) throw new AppError('bad_request', 'end must be after start');
    if (end - start > MAX_CLIP_MS)
      throw new AppError('bad_request', `a clip is at most ${MAX_CLIP_MS / 60_000} minutes`);
    const segs = await this.d.index.range(stream, start, end);
    const plan = planClip(
      segs.map((s) => ({ path: join(this.d.dir, s.path), start: s.start, end: s.end, keyframes: s.keyframes })),
      start,
      end,
    );
    if (!plan) {
      const why = this.recorders.has(stream)
        ? `no recording of stream ${stream} between ${new Date(start).toISOString()} and ${new Date(end).toISOString()}`
        : `stream ${stream} is not recorded here (record.enabled is off), and nothing of it is kept for that time`;
      throw new AppError('not_found', why);
    }
    const key = createHash('sha256')
      .update(JSON.stringify([stream, start, end, segs.map((s) => [s.id, s.bytes])]))
      .digest('hex')
      .slice(0, 32);
    const path = join(this.d.dir, '.clips', `${key}.mp4`);
    if (await stat(path).catch(() => null)) return { path, start: plan.start, end: plan.end, gapMs: plan.gapMs };
    let p = this.cutting.get(key);
    if (!p) {
      p = this.cut(plan, path).finally(() => this.cutting.delete(key));
      this.cutting.set(key, p);
    }
    return p;
  }

  private async cut(plan: NonNullable<ReturnType<typeof planClip>>, path: string): Promise<Clip> {
    const list = `${path}.txt`;
    const tmp = `${path}.part.mp4`;
    await Bun.write(list, concatList(plan));
    try {
      const x = await this.d.spawn(clipArgs(list, tmp)).exited;
      if (x.code !== 0) throw new AppError('internal', `clip could not be cut: ${x.stderr.at(-1) ?? x.code}`);
      await rename(tmp, path);
    } finally {
      await rm(list, { force: true });
      await rm(tmp, { force: true });
    }
    return { path, start: plan.start, end: plan.end, gapMs: plan.gapMs };
  }

  /** Clips older than their TTL go. */
  private async sweepClips(): Promise<void> {
    const dir = join(this.d.dir, '.clips');
    const now = Date.now();
    for (const n of await readdir(dir).catch(() => [] as string[])) {
      const st = await stat(join(dir, n)).catch(() => null);
      if (st && now - st.mtimeMs > CLIP_TTL_MS) await rm(join(dir, n), { force: true });
    }
  }
}
