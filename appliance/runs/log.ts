/**
 * @module A run's log: lines kept with the run (GET /api/runs/:id/log), scrubbed of secrets before
 * they are written, bounded per run (the oldest go first), and also written to the box's log.
 * Lines are buffered and written in one transaction per flush.
 */
import type { Db } from '../store/duckdb';
import { appendLog } from '../store/runs';
import { scrub } from '../shared/scrub';
import type { Logger } from '../shared/log';

type Level = 'info' | 'warn' | 'error';

export class RunLog {
  private buffer = new Map<string, Array<{ at: Date; level: Level; message: string }>>();

  constructor(
    private readonly db: Db,
    private readonly keep: number,
    private readonly log: Logger,
  ) {}

  add(runId: string, level: Level, message: string): void {
    const line = { at: new Date(), level, message: scrub(message).slice(0, 2000) };
    const lines = this.buffer.get(runId) ?? [];
    lines.push(line);
    this.buffer.set(runId, lines);
    this.log[level](line.message, { run: runId });
  }

  async flush(): Promise<void> {
    const all = this.buffer;
    this.buffer = new Map();
    for (const [runId, lines] of all)
      await appendLog(this.db, runId, lines, this.keep).catch((e) =>
        this.log.error('run log not written', { run: runId, error: e }),
      );
  }
}
