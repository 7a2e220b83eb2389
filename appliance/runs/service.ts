/**
 * @module Runs as a client sees them: submit (everything checked before anything is written; the
 * uploads written whole, then the run and its items in one transaction, so a run is all there or
 * not at all), read with per-step and per-item state, cancel, retry failed items, resubmit with new
 * overrides, delete a finished run with its files, results and registered outputs.
 */
import { realpathSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import type { Db } from '../store/duckdb';
import {
  deleteRun,
  getRun,
  insertRun,
  itemCounts,
  listRuns,
  moveItems,
  privateRunOwners,
  readLog,
  runByKey,
  runItems,
  runVisible,
  setRun,
  statusCounts,
  stepCounts,
  type NewItem,
  type RunFilters,
  type RunRow,
} from '../store/runs';
import { existingIds, privateIds, type Viewer } from '../store/images';
import { loadPipeline } from '../pipeline/catalog';
import { parsePipeline } from '../pipeline/file';
import type { Imaging } from '../imaging/port';
import { AppError, asValidation, diskFull, isAppError, isDiskFull } from '../shared/errors';
import {
  finished,
  newSteps,
  progress,
  specHash,
  stepSummary,
  type ItemStatus,
  type RunSpec,
  type Steps,
} from './model';
import type { RunFiles } from './files';
import type { RunExecutor } from './executor';
import type { ItemOutput } from './item';

export interface RunLimits {
  maxItems: number;
  maxPixels: number;
  videoDirs: string[];
}

export interface Upload {
  data: Uint8Array;
  fileName: string | null;
}

export interface RunServiceDeps {
  db: Db;
  files: RunFiles;
  executor: RunExecutor;
  imaging: Imaging;
  pipelinesDir: () => string;
  revision: () => string | null;
  /** Remove a registered image (a deleted run's registered outputs). */
  deleteImage: (id: string) => Promise<void>;
  /** Hold bytes of an owner's quota until the run is recorded (the library's own rule); a 413 past it. */
  reserveQuota: (owner: string, bytes: number) => Promise<() => void>;
  limits: RunLimits;
}

/** Who acts on runs: what they may see (another user's private run is an unknown run) and whose a new run is. */
export interface Caller {
  viewer: Viewer;
  /** A user id, `jwt:<sub>`, or 'box' (see auth/identity ownerOfIdentity). */
  owner: string;
  /** The name shown as the run's creator. */
  name: string | null;
}

/**
 * A clip path under one of the allowed directories (symlinks resolved), or a 422. The refusal is
 * the same whether the file is missing, is not a file or lies outside the directories, so the
 * answer tells nothing of the box's files beyond those directories.
 */
export function allowedVideo(path: string, dirs: string[]): string {
  if (!dirs.length)
    throw new AppError('validation_failed', `video ${path}: no directory allows clips by path (set runs.video_dirs)`);
  const refused = new AppError(
    'validation_failed',
    `video ${path}: not a readable file under an allowed directory (runs.video_dirs)`,
  );
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw refused;
  }
  const ok = dirs.some((d) => {
    try {
      const root = realpathSync(d);
      return real.startsWith(root.endsWith(sep) ? root : root + sep);
    } catch {
      return false;
    }
  });
  if (!ok || !statSync(real, { throwIfNoEntry: false })?.isFile()) throw refused;
  return real;
}

export class RunService {
  /**
   * The owner of each private run, kept in memory (loaded once, kept as runs are recorded and
   * deleted): the feeds ask per message and the views per request, without a query each time.
   */
  private privateOwners = new Map<string, string>();

  constructor(private readonly d: RunServiceDeps) {}

  /** Learn the private runs already recorded (once, when the box opens). */
  async load(): Promise<void> {
    this.privateOwners = await privateRunOwners(this.d.db);
  }

  /** Whether a viewer may see a run's messages and results (a live check, for the feeds). */
  visibleTo(runId: string, viewer: Viewer): boolean {
    const owner = this.privateOwners.get(runId);
    return owner === undefined || runVisible({ owner, private: true }, viewer);
  }

  /** The runs' files (inputs and outputs), for the API to serve. */
  get files(): RunFiles {
    return this.d.files;
  }

  /** Accept a run: 202 with its id, or the existing run of the same idempotency key and spec. */
  async submit(
    spec: RunSpec,
    uploads: Upload[],
    caller: Caller,
    o: { parentId?: string | null; pipelineText?: { text: string; file: string } } = {},
  ): Promise<{ run: RunRow; created: boolean }> {
    const total = spec.inputs.length + uploads.length;
    if (total === 0) throw new AppError('validation_failed', 'a run needs at least one input (files or inputs)');
    if (total > this.d.limits.maxItems)
      throw new AppError('payload_too_large', `${total} inputs, over the limit of ${this.d.limits.maxItems} per run`, {
        details: { max_items: this.d.limits.maxItems },
      });
    const hashes = uploads.map((u) => new Bun.CryptoHasher('sha256').update(u.data).digest('hex'));
    const hash = specHash(spec, hashes);
    if (spec.idempotency_key) {
      const same = await this.byKey(caller.owner, spec.idempotency_key, hash);
      if (same) return { run: same, created: false };
    }
    const pipeline = (() => {
      try {
        return loadPipeline(this.d.pipelinesDir(), spec.pipeline, spec.overrides);
      } catch (e) {
        throw asValidation(e);
      }
    })();
    const text = o.pipelineText ?? { text: pipeline.text, file: pipeline.file };
    // A private photo of someone else is an unknown photo to the caller.
    const items = await this.items(spec, caller.viewer);
    const exts = await Promise.all(uploads.map((u) => this.probe(u)));
    const imageIds = items.flatMap((it) => (it.kind === 'image' ? [it.source] : []));
    const isPrivate = spec.private || (await privateIds(this.d.db, imageIds)).size > 0;
    const uploadBytes = uploads.reduce((n, u) => n + u.data.byteLength, 0);
    const release = uploadBytes ? await this.d.reserveQuota(caller.owner, uploadBytes) : () => undefined;
    try {
      return await this.record(spec, caller, o, { pipeline, text, items, exts, uploads, hash, isPrivate, uploadBytes });
    } finally {
      release();
    }
  }

  /** The run of an owner's idempotency key when its spec is the same; a 409 when it is another. */
  private async byKey(owner: string, key: string, hash: string): Promise<RunRow | null> {
    const same = await runByKey(this.d.db, owner, key);
    if (same && same.spec_hash !== hash)
      throw new AppError('conflict', `idempotency key ${key} was used for another run spec`, {
        details: { run_id: same.id },
      });
    return same;
  }

  private async record(
    spec: RunSpec,
    caller: Caller,
    o: { parentId?: string | null },
    x: {
      pipeline: { stages: Array<{ name: string }> };
      text: { text: string; file: string };
      items: NewItem[];
      exts: Array<{ ext: string }>;
      uploads: Upload[];
      hash: string;
      isPrivate: boolean;
      uploadBytes: number;
    },
  ): Promise<{ run: RunRow; created: boolean }> {
    const { pipeline, text, items, exts, uploads, hash } = x;
    const total = items.length + uploads.length;
    const id = Bun.randomUUIDv7();
    const base = spec.inputs.length;
    const refs = await this.d.files.writeInputs(
      id,
      uploads.map((u, i) => ({ idx: base + i, ext: exts[i]!.ext, data: u.data })),
    );
    for (const [i, u] of uploads.entries())
      items.push({ idx: base + i, kind: 'upload', source: refs[i]!, name: u.fileName, steps: {} });
    const steps = newSteps(pipeline.stages.map((s) => s.name));
    for (const it of items) it.steps = steps;
    const run: RunRow = {
      id,
      created_at: new Date(),
      started_at: null,
      finished_at: null,
      status: 'queued',
      pipeline: spec.pipeline,
      pipeline_text: text.text,
      pipeline_file: text.file,
      revision: this.d.revision(),
      spec: JSON.stringify(spec),
      priority: spec.priority,
      label: spec.label ?? null,
      idempotency_key: spec.idempotency_key ?? null,
      spec_hash: hash,
      parent_id: o.parentId ?? null,
      created_by: caller.name,
      total,
      error: null,
      owner: caller.owner,
      private: x.isPrivate,
      upload_bytes: x.uploadBytes,
    };
    try {
      await this.d.db.transaction((tx) => insertRun(tx, run, items));
      if (run.private) this.privateOwners.set(run.id, run.owner);
    } catch (e) {
      await this.d.files.remove(id);
      if (isDiskFull(e)) throw diskFull(e, 'the run');
      // The same key submitted at the same moment: the database kept one; this caller gets it.
      const raced = spec.idempotency_key ? await this.byKey(caller.owner, spec.idempotency_key, hash) : null;
      if (raced) return { run: raced, created: false };
      throw new AppError('store_failed', 'the run could not be recorded', { cause: e });
    }
    this.d.executor.kick();
    return { run, created: true };
  }

  /** The items of the spec's inputs, each checked: unknown images and clips outside the allowed directories are 422. */
  /** An upload must be an image (a truncated one is accepted here and fails its item with the reason). */
  private probe(u: Upload) {
    return this.d.imaging.probe(u.data, this.d.limits.maxPixels).catch((e: unknown) => {
      const m = isAppError(e) ? e.message : String(e);
      throw new AppError(isAppError(e) ? e.code : 'unsupported_media_type', `${u.fileName ?? 'an upload'}: ${m}`, {
        details: { file: u.fileName },
      });
    });
  }

  private async items(spec: RunSpec, viewer?: Viewer): Promise<NewItem[]> {
    const ids = spec.inputs.flatMap((i) => ('image_id' in i ? [i.image_id] : []));
    const known = await existingIds(this.d.db, ids, viewer);
    const unknown = [...new Set(ids.filter((i) => !known.has(i)))];
    if (unknown.length)
      throw new AppError(
        'validation_failed',
        `unknown image ids: ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ` and ${unknown.length - 20} more` : ''}`,
        { details: { unknown_image_ids: unknown } },
      );
    return spec.inputs.map((input, idx) =>
      'image_id' in input
        ? {
            idx,
            kind: 'image' as const,
            source: input.image_id,
            name: null,
            steps: {},
            objectKey: known.get(input.image_id),
          }
        : {
            idx,
            kind: 'video' as const,
            source: allowedVideo(input.video, this.d.limits.videoDirs),
            name: input.video.split('/').pop() ?? null,
            steps: {},
          },
    );
  }

  /** The ids of the runs a viewer may not see (other users' private runs). */
  hidden(viewer: Viewer): string[] {
    return [...this.privateOwners.keys()].filter((id) => !this.visibleTo(id, viewer));
  }

  /** A run the viewer may see; another user's private run is as unknown as a missing one (404). */
  async row(id: string, viewer: Viewer): Promise<RunRow> {
    const r = await getRun(this.d.db, id);
    if (!r || !runVisible(r, viewer)) throw new AppError('not_found', `run ${id} not found`);
    return r;
  }

  /** A run with its per-step summary, progress and one page of its items (the current one live). */
  async view(id: string, viewer: Viewer, itemsFrom = 0, itemsLimit = 100) {
    const r = await this.row(id, viewer);
    const live = this.d.executor.current(id);
    const page = await runItems(this.d.db, id, itemsFrom, itemsLimit);
    const counts = await statusCounts(this.d.db, id);
    // Items in progress are recorded when they end: until then they are pending in the store.
    if (live.size) {
      counts.pending = Math.max(0, (counts.pending ?? 0) - live.size) || undefined;
      counts.running = (counts.running ?? 0) + live.size;
      for (const k of Object.keys(counts) as ItemStatus[]) if (!counts[k]) delete counts[k];
    }
    const perStep = await stepCounts(this.d.db, id);
    // The items in progress: their steps as they are now, not as last recorded.
    for (const [idx, steps] of live) {
      const stored = (await runItems(this.d.db, id, idx, 1))[0];
      const was = stored ? (JSON.parse(stored.steps) as Steps) : {};
      for (const [stage, now] of Object.entries(steps)) {
        const c = { ...(perStep.get(stage) ?? {}) };
        const before = was[stage]?.status;
        if (before && c[before]) c[before] = c[before]! - 1;
        c[now.status] = (c[now.status] ?? 0) + 1;
        perStep.set(stage, Object.fromEntries(Object.entries(c).filter(([, n]) => n)));
      }
    }
    const dag = dagOf(r.pipeline_text, r.pipeline_file, r.pipeline);
    const steps = Object.fromEntries(dag.map((s) => [s.name, stepSummary(perStep.get(s.name) ?? {})]));
    const p = progress(counts);
    return {
      run: r,
      dag,
      progress: p,
      counts,
      steps,
      items: page.map((it) => ({
        ...it,
        status: live.has(it.idx) ? ('running' as const) : it.status,
        steps: live.get(it.idx) ?? (JSON.parse(it.steps) as Steps),
      })),
      items_total: p.total,
    };
  }

  async list(f: RunFilters, viewer: Viewer, page: number, limit: number) {
    const { items, total } = await listRuns(this.d.db, { ...f, viewer }, page, limit);
    const counts = await itemCounts(
      this.d.db,
      items.map((r) => r.id),
    );
    return { items: items.map((r) => ({ run: r, counts: counts.get(r.id) ?? {} })), total };
  }

  async cancel(id: string, viewer: Viewer): Promise<RunRow> {
    const r = await this.row(id, viewer);
    if (finished(r.status)) throw new AppError('conflict', `run ${id} has already finished (${r.status})`);
    if (!this.d.executor.cancel(id)) {
      // Not being executed: queued, or interrupted while the box was down.
      await moveItems(this.d.db, id, ['pending', 'running', 'retrying'], 'skipped');
      await setRun(this.d.db, id, { status: 'canceled', finished_at: new Date() });
      this.d.executor.log(id, 'warn', 'canceled before it ran');
      await this.d.executor.flushLogs();
    }
    return this.row(id, viewer);
  }

  /** Run a finished run's failed items again (its other items keep their results). */
  async retry(id: string, viewer: Viewer): Promise<RunRow> {
    const r = await this.row(id, viewer);
    if (!finished(r.status)) throw new AppError('conflict', `run ${id} is ${r.status}; retry a finished run`);
    const moved = await moveItems(this.d.db, id, ['failed'], 'pending');
    if (moved === 0) throw new AppError('conflict', `run ${id} has no failed items to retry`);
    await setRun(this.d.db, id, { status: 'queued', finished_at: null });
    this.d.executor.log(id, 'info', `retry: ${moved} failed item(s) queued again`);
    await this.d.executor.flushLogs();
    this.d.executor.kick();
    return this.row(id, viewer);
  }

  /** A new run of the same inputs and pipeline text, with new overrides when given, linked to its parent. */
  async resubmit(
    id: string,
    change: { overrides?: Record<string, unknown>; priority?: number; label?: string },
    caller: Caller,
  ): Promise<RunRow> {
    const parent = await this.row(id, caller.viewer);
    const spec = JSON.parse(parent.spec) as RunSpec;
    const items = await runItems(this.d.db, id);
    const uploads: Upload[] = [];
    const inputs: RunSpec['inputs'] = [];
    for (const it of items) {
      if (it.kind === 'upload') uploads.push({ data: await this.d.files.read(id, it.source), fileName: it.name });
      else inputs.push(it.kind === 'image' ? { image_id: it.source } : { video: it.source });
    }
    const next: RunSpec = {
      ...spec,
      inputs,
      overrides: change.overrides ?? spec.overrides,
      priority: change.priority ?? spec.priority,
      label: change.label ?? spec.label,
      idempotency_key: undefined,
    };
    // Every input is checked against the caller again (a photo made private since is refused), and
    // the new run keeps the parent's privacy.
    const { run } = await this.submit({ ...next, private: next.private || parent.private }, uploads, caller, {
      parentId: id,
      pipelineText: { text: parent.pipeline_text, file: parent.pipeline_file },
    });
    return run;
  }

  async delete(id: string, viewer: Viewer): Promise<void> {
    const r = await this.row(id, viewer);
    if (!finished(r.status) && r.status !== 'interrupted')
      throw new AppError('conflict', `run ${id} is ${r.status}; cancel it before deleting it`);
    const items = await runItems(this.d.db, id);
    for (const it of items) {
      const out = it.output ? (JSON.parse(it.output) as ItemOutput) : null;
      for (const img of out?.registered ?? [])
        await this.d.deleteImage(img).catch((e: unknown) => {
          if (!isAppError(e) || e.code !== 'not_found') throw e;
        });
    }
    // Two deletes at once: the database removes the run once; the other is told it is gone.
    if (!(await this.d.db.transaction((tx) => deleteRun(tx, id))))
      throw new AppError('not_found', `run ${id} not found`);
    this.privateOwners.delete(id);
    await this.d.files.remove(id);
  }

  async log(id: string, viewer: Viewer, after: number, limit: number) {
    await this.row(id, viewer);
    await this.d.executor.flushLogs();
    return readLog(this.d.db, id, after, limit);
  }
}

/** The stages of the pipeline text a run was accepted with, before its overrides (what a resubmit edits). */
function dagOf(text: string, file: string, name: string) {
  try {
    return parsePipeline(text, file, {}, name).stages.map((s) => ({
      name: s.name,
      type: `${s.def.type}@${s.def.version}`,
      needs: s.needs,
      options: s.options as Record<string, unknown>,
    }));
  } catch {
    return [];
  }
}
