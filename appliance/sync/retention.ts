/**
 * @module Local retention: every interval, when the objects or the disk are over budget, delete
 * the local copies of the oldest objects that are already in the bucket (they stay reachable
 * through presigned URLs). An object that is not uploaded is never deleted: when only those are
 * left and the budget is still exceeded, the state is `over_budget` (an alert in /api/sync and
 * the logs) until uploads catch up or the budget changes.
 */
import { rm, statfs } from 'node:fs/promises';
import type { Db } from '../store/duckdb';
import { evictable, localBytes, markEvicted } from '../store/sync-objects';
import { overBudget, pickEvictions, type Budget } from './retention-policy';
import { Periodic } from '../shared/timers';
import type { Logger } from '../shared/log';

export interface RetentionDeps {
  db: Db;
  stateDir: string;
  pathOf(key: string): string;
  budget: Budget;
  intervalS: number;
  log: Logger;
}

export class Retention {
  state: 'ok' | 'over_budget' = 'ok';
  evicted = { objects: 0, bytes: 0 };
  lastCheck: { at: string; over_bytes: number; short_bytes: number } | null = null;
  private readonly periodic: Periodic;

  constructor(private readonly d: RetentionDeps) {
    const budgeted = d.budget.max_bytes > 0 || d.budget.max_disk_percent > 0;
    this.periodic = new Periodic(
      () => this.pass().catch((e) => this.d.log.error('retention pass failed', { error: e })),
      budgeted ? d.intervalS : 0,
    );
  }

  start(): this {
    this.periodic.start();
    return this;
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** One pass (also called by tests); overlapping calls share the pass in progress. */
  check(): Promise<void> {
    return this.periodic.run();
  }

  status() {
    return { budget: this.d.budget, state: this.state, evicted: this.evicted, last_check: this.lastCheck };
  }

  private async pass(): Promise<void> {
    const fs = await statfs(this.d.stateDir);
    const usage = {
      objectBytes: await localBytes(this.d.db),
      fsTotal: fs.blocks * fs.bsize,
      fsUsed: (fs.blocks - fs.bavail) * fs.bsize,
    };
    const need = overBudget(this.d.budget, usage);
    let short = 0;
    if (need > 0) {
      const plan = pickEvictions(need, await evictable(this.d.db, 10_000));
      for (const c of plan.evict) await rm(this.d.pathOf(c.local_key), { force: true });
      await markEvicted(
        this.d.db,
        plan.evict.map((c) => c.local_key),
      );
      const bytes = plan.evict.reduce((s, c) => s + c.size, 0);
      this.evicted.objects += plan.evict.length;
      this.evicted.bytes += bytes;
      if (plan.evict.length)
        this.d.log.info('retention: deleted local copies of uploaded objects', { objects: plan.evict.length, bytes });
      short = plan.short;
    }
    const was = this.state;
    this.state = short > 0 ? 'over_budget' : 'ok';
    if (this.state !== was) {
      if (this.state === 'over_budget')
        this.d.log.error('retention: over budget, and what is left is not uploaded yet; nothing more is deleted', {
          short_bytes: short,
        });
      else this.d.log.info('retention: within budget again');
    }
    this.lastCheck = { at: new Date().toISOString(), over_bytes: need, short_bytes: short };
  }
}
