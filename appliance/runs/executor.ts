/**
 * @module The run queue at work: takes queued runs (highest priority, oldest first) up to the
 * configured concurrency and runs their items one after another, recording each item's state,
 * attempts and output in DuckDB as it goes and reporting progress live. An item is marked done only
 * after its results are committed; a run cut short by a crash or a stop is taken up again at the
 * next start with its finished items kept, and the results of the item it was in the middle of
 * removed first, so no item is lost or done twice.
 */
import type { Db } from '../store/duckdb';
import { Batcher } from '../shared/batcher';
import {
  dropSessions,
  getRun,
  itemsIn,
  moveItems,
  nextQueued,
  setItem,
  setRun,
  statusCounts,
  unfinishedRuns,
  type ItemRow,
  type RunRow,
} from '../store/runs';
import { parsePipeline, type Pipeline } from '../pipeline/file';
import type { StageObserver } from '../pipeline/compile';
import type { RunReporter } from '../publish/port';
import type { EventRecord } from '../contracts/results';
import {
  finalStatus,
  progress,
  itemSession,
  newSteps,
  type ItemStatus,
  type RunMessage,
  type RunSpec,
  type Steps,
} from './model';
import { RunLog } from './log';
import { messageOf } from '../shared/errors';
import { BackgroundLoop } from '../shared/loop';
import type { Timers } from '../shared/timers';
import type { Logger } from '../shared/log';

/** How one item is run (photos and clips; the composition root wires the real stages in). */
export interface ItemWork {
  run(
    run: RunRow,
    spec: RunSpec,
    pipeline: Pipeline,
    item: ItemRow,
    sessionId: string,
    /** What the item's stages report: the executor turns it into step states and messages. */
    watch: StageObserver,
    signal: AbortSignal,
  ): Promise<unknown>;
}

export interface ExecutorDeps {
  db: Db;
  work: ItemWork;
  reporters: RunReporter[];
  /** Where the completion event goes (the events table: WebSocket replay and webhooks). */
  completed(e: EventRecord): Promise<void>;
  concurrency: number;
  /**
   * Items of one run in progress at once: 2 lets one photo decode while the other is inferred and
   * recorded (measured: one at a time held a run to about half of a bare loop).
   */
  itemConcurrency?: number;
  maxLogLines: number;
  timers: Timers;
  log: Logger;
}

interface Active {
  run: RunRow;
  abort: AbortController;
  /** Why the run is being stopped: a cancel, or the box stopping (the run resumes at the next start). */
  why: 'cancel' | 'stop' | null;
  /** The step states of the items in progress, by index (GET shows them live). */
  current: Map<number, Steps>;
  seq: number;
  /** Items by state, kept as they change (read once from the store when the run starts). */
  counts: Partial<Record<ItemStatus, number>>;
  /** Outcomes waiting for their commit. */
  writes: Set<Promise<void>>;
}

export class RunExecutor extends BackgroundLoop {
  private readonly active = new Map<string, Active>();
  private readonly logs: RunLog;
  /** Items' outcomes, written by group commit: one transaction for what ended meanwhile. */
  private readonly outcomes: Batcher<{ runId: string; idx: number; v: Parameters<typeof setItem>[3] }>;

  constructor(private readonly d: ExecutorDeps) {
    super(d.timers);
    this.logs = new RunLog(d.db, d.maxLogLines, d.log);
    this.outcomes = new Batcher(
      (rows) =>
        d.db.transaction(async (tx) => {
          for (const r of rows) await setItem(tx, r.runId, r.idx, r.v);
        }),
      { max: 64 },
    );
  }

  /** Put runs a crash or stop cut short back in the queue, then start taking runs. */
  async resume(): Promise<number> {
    const cut = await unfinishedRuns(this.d.db);
    for (const r of cut) {
      // Any item not recorded as done may have written part of its results: they go first.
      const open: number[] = [];
      for (const status of ['pending', 'running', 'retrying'] as const)
        for (let after = -1; ; ) {
          const page = await itemsIn(this.d.db, r.id, status, after, 1000);
          if (!page.length) break;
          open.push(...page.map((i) => i.idx));
          after = page.at(-1)!.idx;
        }
      await this.d.db.transaction(async (tx) => {
        await dropSessions(
          tx,
          open.map((idx) => itemSession(r.id, idx)),
        );
        await moveItems(tx, r.id, ['running', 'retrying'], 'pending');
      });
      await setRun(this.d.db, r.id, { status: 'queued' });
      this.logs.add(r.id, 'info', `resumed after ${r.status === 'running' ? 'a crash' : 'a stop'}`);
    }
    await this.logs.flush();
    if (cut.length) this.d.log.info('runs resumed', { runs: cut.length });
    return cut.length;
  }

  /** A run was queued (or re-queued): look for work now. */
  kick(): void {
    this.nap.wake();
  }

  /** The live step states of a running run's items in progress, by index. */
  current(runId: string): Map<number, Steps> {
    return this.active.get(runId)?.current ?? new Map();
  }

  /** Cancel a running run: its current item stops, the rest are skipped. False when it is not running here. */
  cancel(runId: string): boolean {
    const a = this.active.get(runId);
    if (!a) return false;
    a.why ??= 'cancel';
    a.abort.abort(new Error('canceled'));
    return true;
  }

  log(runId: string, level: 'info' | 'warn' | 'error', message: string): void {
    this.logs.add(runId, level, message);
  }

  flushLogs(): Promise<void> {
    return this.logs.flush();
  }

  protected crashed(e: unknown): void {
    this.d.log.error('run queue failed', { error: e });
  }

  protected async run(): Promise<void> {
    const going = new Set<Promise<void>>();
    while (!this.stopped) {
      const next = going.size < this.d.concurrency ? await nextQueued(this.d.db, [...this.active.keys()]) : null;
      if (!next) {
        // Woken by a new run, a finished one, or stop; a wake while busy is kept, so none is lost.
        await this.nap.sleep(null);
        continue;
      }
      const p: Promise<void> = this.execute(next)
        .catch((e) => this.d.log.error('run failed to execute', { run: next.id, error: e }))
        .finally(() => {
          going.delete(p);
          this.nap.wake();
        });
      going.add(p);
    }
    for (const a of this.active.values()) {
      a.why ??= 'stop';
      a.abort.abort(new Error('the box is stopping'));
    }
    await Promise.all(going);
    await this.logs.flush();
  }

  private report(a: Active, m: Omit<RunMessage, 'sessionId' | 'timestamp' | 'payload'> & { payload: object }): void {
    const msg = {
      sessionId: a.run.id,
      timestamp: new Date(this.d.timers.now()).toISOString(),
      event: m.event,
      payload: { run_id: a.run.id, pipeline: a.run.pipeline, seq: ++a.seq, ...m.payload },
    } as RunMessage;
    for (const r of this.d.reporters) r.run(msg);
  }

  /** An outcome on its way to the store, until it is committed (finish waits for them all). */
  private track(a: Active, p: Promise<void>): void {
    a.writes.add(p);
    void p.finally(() => a.writes.delete(p));
  }

  /** An item's outcome is committed: it counts, and the run's progress says so. */
  private done(a: Active, idx: number, status: ItemStatus): void {
    a.current.delete(idx);
    this.count(a, 'running', status);
    this.progress(a, 'running');
  }

  /** An outcome that could not be written (the disk full): the item stays pending and runs again after a restart. */
  private notRecorded(a: Active, idx: number, e: unknown): void {
    a.current.delete(idx);
    this.count(a, 'running', 'pending');
    this.logs.add(a.run.id, 'error', `item ${idx}: its outcome could not be recorded (${messageOf(e)}); it runs again`);
  }

  /** Move one item between states in the run's counts. */
  private count(a: Active, from: ItemStatus, to: ItemStatus): void {
    a.counts[from] = Math.max(0, (a.counts[from] ?? 0) - 1);
    a.counts[to] = (a.counts[to] ?? 0) + 1;
  }

  private progress(a: Active, status: RunRow['status']): void {
    const c = a.counts;
    this.report(a, {
      event: 'runProgress',
      payload: { status, ...progress(c), succeeded: c.succeeded ?? 0, failed: c.failed ?? 0 },
    });
  }

  private async execute(run: RunRow): Promise<void> {
    const a: Active = {
      run,
      abort: new AbortController(),
      why: null,
      current: new Map(),
      seq: 0,
      counts: {},
      writes: new Set(),
    };
    this.active.set(run.id, a);
    try {
      // Canceled between being picked and now: nothing to do.
      if ((await getRun(this.d.db, run.id))?.status !== 'queued') return;
      const now = new Date(this.d.timers.now());
      await setRun(this.d.db, run.id, { status: 'running', started_at: run.started_at ?? now });
      this.logs.add(run.id, 'info', `started: pipeline ${run.pipeline}, ${run.total} input(s)`);
      a.counts = await statusCounts(this.d.db, run.id);
      this.progress(a, 'running');
      const spec = JSON.parse(run.spec) as RunSpec;
      let pipeline: Pipeline | null = null;
      try {
        pipeline = parsePipeline(run.pipeline_text, run.pipeline_file, spec.overrides, run.pipeline);
      } catch (e) {
        this.logs.add(run.id, 'error', `the pipeline no longer loads: ${messageOf(e)}`);
        await moveItems(this.d.db, run.id, ['pending', 'running', 'retrying'], 'failed');
      }
      if (pipeline) await this.items(a, spec, pipeline);
      await this.finish(a);
    } finally {
      this.active.delete(run.id);
      await this.logs.flush();
    }
  }

  /**
   * The run's pending items, a page at a time (a run of 10,000 inputs is never all in memory), up to
   * itemConcurrency in progress; each is recorded as it ends, whatever the order.
   */
  private async items(a: Active, spec: RunSpec, pipeline: Pipeline): Promise<void> {
    const width = Math.max(1, this.d.itemConcurrency ?? 2);
    const going = new Set<Promise<void>>();
    for (let after = -1; !a.why; ) {
      const page = await itemsIn(this.d.db, a.run.id, 'pending', after, 100);
      if (!page.length) break;
      for (const item of page) {
        if (a.why) break;
        after = item.idx;
        const p: Promise<void> = this.item(a, spec, pipeline, item).finally(() => going.delete(p));
        going.add(p);
        if (going.size >= width) await Promise.race(going);
      }
      await this.logs.flush();
    }
    await Promise.all(going);
  }

  private async finish(a: Active): Promise<void> {
    const id = a.run.id;
    await Promise.all(a.writes);
    if (a.why === 'stop') {
      await setRun(this.d.db, id, { status: 'interrupted' });
      this.logs.add(id, 'warn', 'interrupted: the box stopped; the run resumes at the next start');
      this.progress(a, 'interrupted');
      return;
    }
    if (a.why === 'cancel') await moveItems(this.d.db, id, ['pending', 'running', 'retrying'], 'skipped');
    const counts = await statusCounts(this.d.db, id);
    const status = finalStatus(counts, a.why === 'cancel');
    const finishedAt = new Date(this.d.timers.now());
    await setRun(this.d.db, id, { status, finished_at: finishedAt });
    this.logs.add(id, status === 'succeeded' ? 'info' : 'warn', `finished: ${status}`);
    a.counts = counts;
    this.progress(a, status);
    await this.d
      .completed({
        id: Bun.randomUUIDv7(),
        sessionId: id,
        revision: a.run.revision,
        stream: `run:${id}`,
        timestamp: finishedAt,
        event: {
          type: 'runCompleted',
          label: a.run.pipeline,
          ts: finishedAt.getTime() / 1000,
          run_id: id,
          status,
          run_label: a.run.label,
          total: progress(counts).total,
          succeeded: counts.succeeded ?? 0,
          failed: counts.failed ?? 0,
          skipped: counts.skipped ?? 0,
        },
        snapshotKey: null,
        imageId: null,
      })
      .catch((e) => this.d.log.error('run completion event not stored', { run: id, error: e }));
  }

  /**
   * One item. Its start is kept in memory only (its results carry its session, derived from the
   * run and index, so a crash's leftovers are found without a record); its outcome is written by
   * group commit, and only then does the item count as done.
   */
  private async item(a: Active, spec: RunSpec, pipeline: Pipeline, item: ItemRow): Promise<void> {
    const id = a.run.id;
    const sessionId = itemSession(id, item.idx);
    const steps = newSteps(pipeline.stages.map((s) => s.name));
    a.current.set(item.idx, steps);
    this.count(a, 'pending', 'running');
    const started = new Date(this.d.timers.now());
    const outcome = (v: Omit<Parameters<typeof setItem>[3], 'attempts' | 'session_id' | 'started_at'>) =>
      this.outcomes.add({
        runId: id,
        idx: item.idx,
        v: { ...v, attempts: item.attempts + 1, session_id: sessionId, started_at: started, steps },
      });
    let failedStage: string | null = null;
    const watch: StageObserver = {
      started: (stage, attempt) => {
        steps[stage]!.status = 'running';
        this.report(a, { event: 'stepStarted', payload: { item: item.idx, stage, attempt } });
      },
      succeeded: (stage, ms) => {
        const s = steps[stage]!;
        s.status = 'succeeded';
        s.attempts.push({
          at: new Date(this.d.timers.now()).toISOString(),
          ms: Math.round(ms),
          error: null,
          retry_in_s: null,
        });
        this.report(a, { event: 'stepSucceeded', payload: { item: item.idx, stage, ms: Math.round(ms) } });
      },
      failed: (stage, ms, error, retryInS) => {
        const s = steps[stage]!;
        const message = messageOf(error);
        s.status = retryInS === null ? 'failed' : 'retrying';
        s.attempts.push({
          at: new Date(this.d.timers.now()).toISOString(),
          ms: Math.round(ms),
          error: message,
          retry_in_s: retryInS,
        });
        if (retryInS === null) failedStage = stage;
        this.logs.add(
          id,
          retryInS === null ? 'error' : 'warn',
          `item ${item.idx} step ${stage} attempt ${s.attempts.length} failed: ${message}${retryInS === null ? '' : `; retry in ${retryInS} s`}`,
        );
        this.report(a, {
          event: 'stepFailed',
          payload: { item: item.idx, stage, ms: Math.round(ms), error: message, retry_in_s: retryInS },
        });
      },
    };
    try {
      // An item run before (a retry of a failed one) starts from nothing.
      if (item.attempts > 0) await this.d.db.transaction((tx) => dropSessions(tx, [sessionId]));
      const output = await this.d.work.run(a.run, spec, pipeline, item, sessionId, watch, a.abort.signal);
      // The slot is free for the next item while this outcome waits for its group commit.
      this.track(
        a,
        outcome({ status: 'succeeded', finished_at: new Date(this.d.timers.now()), output, error: null }).then(
          () => this.done(a, item.idx, 'succeeded'),
          (e: unknown) => this.notRecorded(a, item.idx, e),
        ),
      );
    } catch (e) {
      if (a.why === 'stop') {
        // Taken up again at the next start; what this attempt wrote goes first.
        await this.d.db.transaction((tx) => dropSessions(tx, [sessionId]));
        a.current.delete(item.idx);
        this.count(a, 'running', 'pending');
        return;
      }
      for (const s of Object.values(steps)) if (s.status === 'pending' || s.status === 'running') s.status = 'skipped';
      const canceled = a.why === 'cancel';
      const reason = canceled ? 'canceled' : failedStage ? `${failedStage}: ${messageOf(e)}` : messageOf(e);
      if (!canceled) this.logs.add(id, 'error', `item ${item.idx} (${item.name ?? item.source}) failed: ${reason}`);
      const status = canceled ? 'skipped' : 'failed';
      this.track(
        a,
        outcome({ status, finished_at: new Date(this.d.timers.now()), error: reason }).then(
          () => this.done(a, item.idx, status),
          (err: unknown) => this.notRecorded(a, item.idx, err),
        ),
      );
    }
  }
}
