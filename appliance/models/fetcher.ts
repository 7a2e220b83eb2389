/**
 * @module First run: the models a box's config references, pulled in the background while the box
 * serves (mirror or pinned upstream, sha256-checked, as `fovea models pull`). Each model has a
 * state (present, pulling with bytes done, failed with why and when it is tried again); a failed
 * pull is retried with a growing pause (10 s doubling to 5 min), forever, and logged. Whoever needs
 * a model waits on `ready(ref)`; nothing here throws at a caller.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findModel, refOf, type Catalog } from './catalog';
import { acceptedHashes, pullModel, readIfValid, type PullOptions } from './pull';
import type { Logger } from '../shared/log';
import type { Timers } from '../shared/timers';

export interface ModelState {
  ref: string;
  state: 'present' | 'pulling' | 'failed';
  bytes_done: number;
  bytes_total: number | null;
  attempts: number;
  error: string | null;
  next_retry_at: string | null;
}

export interface FetcherDeps {
  catalog: Catalog;
  dir: string;
  mirror?: string;
  upstream?: boolean;
  pull?: (ref: string, opts: PullOptions) => Promise<unknown>;
  timers: Timers;
  log: Logger;
  /** First and longest pause between attempts, in seconds. */
  retryS?: [number, number];
}

interface Entry {
  view: ModelState;
  done: Promise<void>;
  resolve: () => void;
  retry: unknown;
}

export class ModelFetcher {
  private entries = new Map<string, Entry>();
  private stopped = false;

  constructor(private readonly deps: FetcherDeps) {}

  /** Whether a model's file is in place (checked by name; its sha256 is checked when it is pulled or opened). */
  present(ref: string): boolean {
    const e = this.entries.get(this.key(ref));
    if (e) return e.view.state === 'present';
    return existsSync(join(this.deps.dir, findModel(this.deps.catalog, ref).file));
  }

  /** Whether a model's file is in place and matches its sha256 (reads and hashes it). */
  async verified(ref: string): Promise<boolean> {
    const m = findModel(this.deps.catalog, ref);
    return !!(await readIfValid(join(this.deps.dir, m.file), acceptedHashes(m)));
  }

  /** Resolves once the model's verified file is in place; starts pulling it when it is not. */
  ready(ref: string): Promise<void> {
    const key = this.key(ref);
    const known = this.entries.get(key);
    if (known) return known.done;
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const view: ModelState = {
      ref: key,
      state: 'pulling',
      bytes_done: 0,
      bytes_total: null,
      attempts: 0,
      error: null,
      next_retry_at: null,
    };
    const e: Entry = { view, done, resolve, retry: null };
    this.entries.set(key, e);
    void this.attempt(e);
    return done;
  }

  private key(ref: string): string {
    return refOf(findModel(this.deps.catalog, ref));
  }

  private async attempt(e: Entry): Promise<void> {
    if (this.stopped) return;
    const d = this.deps;
    const m = findModel(d.catalog, e.view.ref);
    const v = e.view;
    v.attempts++;
    Object.assign(v, { state: 'pulling', error: null, next_retry_at: null, bytes_done: 0 });
    let logged = 0;
    try {
      if (!(await readIfValid(join(d.dir, m.file), acceptedHashes(m)))) {
        d.log.info('pulling a model the config uses', { model: v.ref, attempt: v.attempts, mirror: d.mirror ?? null });
        const opts: PullOptions = {
          dir: d.dir,
          mirror: d.mirror,
          upstream: d.upstream,
          progress: (_label, done, total) => {
            v.bytes_done = done;
            v.bytes_total = total;
            const pct = total ? Math.floor((done / total) * 4) * 25 : 0;
            if (pct > logged) {
              logged = pct;
              d.log.info('model pull progress', { model: v.ref, percent: pct, bytes: done });
            }
          },
        };
        await (d.pull ? d.pull(v.ref, opts) : pullModel(m, d.catalog, opts));
        d.log.info('model pulled and verified', { model: v.ref, attempts: v.attempts });
      }
      Object.assign(v, { state: 'present', error: null });
      e.resolve();
    } catch (err) {
      const [first, longest] = d.retryS ?? [10, 300];
      const waitS = Math.min(longest, first * 2 ** (v.attempts - 1));
      Object.assign(v, {
        state: 'failed',
        error: (err as Error).message,
        next_retry_at: new Date(d.timers.now() + waitS * 1000).toISOString(),
      });
      d.log.warn('model pull failed; trying again', { model: v.ref, error: err, retry_in_s: waitS });
      e.retry = d.timers.set(() => void this.attempt(e), waitS * 1000);
    }
  }

  /** Every model asked for so far, with its state (the System page and /health). */
  states(): ModelState[] {
    return [...this.entries.values()].map((e) => ({ ...e.view }));
  }

  state(ref: string): ModelState | null {
    const e = this.entries.get(this.key(ref));
    return e ? { ...e.view } : null;
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) this.deps.timers.clear(e.retry);
  }
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** A model's pull in words, for a stream's or an API answer's reason. */
export function pullState(s: ModelState | null): string {
  if (!s) return 'it has not been asked for';
  if (s.state === 'present') return `${s.ref} is in place`;
  if (s.state === 'failed') return `pulling ${s.ref} failed (${s.error}); trying again at ${s.next_retry_at}`;
  const of = s.bytes_total ? ` of ${mb(s.bytes_total)}` : '';
  return `pulling ${s.ref}: ${mb(s.bytes_done)}${of}${s.attempts > 1 ? `, attempt ${s.attempts}` : ''}`;
}
