/**
 * @module The box's backups: taken on demand (POST /api/backup, `fovea backup`) or daily at
 * `backup.at`, one at a time, into `backup.dir`; the last outcome is kept for /api/backup. A failed
 * scheduled backup is logged and tried again at the next time.
 */
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { Logger } from '../shared/log';
import { messageOf } from '../shared/errors';
import { realTimers, type Timers } from '../shared/timers';
import { takeBackup, type BackupDeps, type Manifest } from './backup';
import { nextDaily } from './schedule';

export interface BackupSettings {
  dir: string;
  at: string;
  keep: number;
  schedule: boolean;
}

export class Backups {
  private running: Promise<Manifest> | null = null;
  private timer: unknown = null;
  last: { at: string; ok: boolean; name: string | null; error: string | null; duration_ms: number | null } | null =
    null;
  nextAt: Date | null = null;

  constructor(
    private readonly deps: BackupDeps,
    readonly s: BackupSettings,
    private readonly log: Logger,
    private readonly timers: Timers = realTimers,
  ) {}

  /** A backup now (or the one already running). */
  run(): Promise<Manifest> {
    this.running ??= takeBackup(this.deps, this.s.dir, this.s.keep)
      .then(
        (m) => {
          this.last = { at: m.created_at, ok: true, name: m.name, error: null, duration_ms: m.duration_ms };
          this.log.info('backup written', {
            name: m.name,
            ms: m.duration_ms,
            bytes: m.files.reduce((n, f) => n + f.bytes, 0),
            to_bucket: !!this.deps.bucket,
          });
          return m;
        },
        (e) => {
          this.last = {
            at: new Date(this.timers.now()).toISOString(),
            ok: false,
            name: null,
            error: messageOf(e),
            duration_ms: null,
          };
          this.log.error('backup failed', { error: e });
          throw e;
        },
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  start(): void {
    if (!this.s.schedule) return;
    this.nextAt = nextDaily(new Date(this.timers.now()), this.s.at);
    // setTimeout holds 32-bit milliseconds (24.8 days): a day always fits.
    this.timer = this.timers.set(() => {
      void this.run()
        .catch(() => undefined)
        .finally(() => this.start());
    }, this.nextAt.getTime() - this.timers.now());
  }

  async stop(): Promise<void> {
    if (this.timer) this.timers.clear(this.timer);
    await this.running?.catch(() => undefined);
  }

  async list(): Promise<string[]> {
    return existsSync(this.s.dir)
      ? (await readdir(this.s.dir))
          .filter((n) => n.startsWith('fovea-') && !n.endsWith('.partial'))
          .sort()
          .reverse()
      : [];
  }
}
