/**
 * @module The fleet agent inside the appliance: fetches the fleet repo every `fleet.interval_s` (or
 * at once on a trigger), renders this device's config at the revision it follows, and when that
 * revision is new: checks it (files, references, signature, secrets, and with fleet.golden_gate its
 * golden clips), applies it through the host
 * as a diff, and holds a health gate. A revision that fails any step is recorded as rejected or
 * rolled back, with its reason, and never tried again; the box keeps or returns to what it ran.
 */
import type { Config } from '../config/schema';
import { withSecrets } from '../config/load';
import type { Catalog } from '../models/catalog';
import type { Logger } from '../shared/log';
import { BackgroundLoop } from '../shared/loop';
import { sleep, type Timers } from '../shared/timers';
import { messageOf } from '../shared/errors';
import { scrub } from '../shared/scrub';
import type { Git } from './git';
import { effectiveConfig } from './effective';
import { unhealthy, type StreamProbe } from './health';
import { record, type AgentState, type Outcome, type OutcomeState, type StateFile } from './state';
import { renderAt, type Target } from './target';

/** What the agent needs of the running appliance. */
export interface FleetHost {
  current(): { config: Config; revision: string | null };
  /**
   * Make the box run `config`, stamped `revision`. Returns the ids of the streams the change
   * started or changed (the health gate waits for their results). Throws, with the box as it was,
   * when the change cannot be built.
   */
  apply(config: Config, revision: string | null): Promise<string[]>;
  probe(): StreamProbe[];
}

export type AgentPhase =
  | 'starting'
  | 'fetching'
  | 'golden'
  | 'applying'
  | 'verifying'
  | 'rolling_back'
  | 'idle'
  | 'offline'
  | 'error';

export interface FleetStatus {
  enabled: true;
  repo: string;
  device: string;
  state: AgentPhase;
  /** The revision the repo asks this box to run (null until the first fetch). */
  desired: { sha: string; subject: string; branch: string } | null;
  applied: AgentState['applied'];
  last_fetch: { at: string; ok: boolean; error: string | null } | null;
  /** The newest revision that was rejected or rolled back. */
  last_error: Outcome | null;
  history: Outcome[];
}

export interface AgentDeps {
  git: Git;
  host: FleetHost;
  /** The box's local config (where it pulls from, its state dir, its device id). */
  local: Config;
  device: string;
  catalog: Catalog;
  /** `<state>/fleet`: the mirror and the exported revisions. */
  fleetDir: string;
  state: StateFile;
  log: Logger;
  /** The clock of the poll interval and the health gate (real by default). */
  timers?: Timers;
  /** Told after every change of status (the retained MQTT status message). */
  onStatus?: (s: FleetStatus) => void;
  /** Run the golden clips of an exported revision (fleet.golden_gate): the broken expectations as `file:line` lines. */
  golden?: (dir: string) => Promise<string[]>;
}

export class FleetAgent extends BackgroundLoop {
  private st: AgentState;
  private status: FleetStatus;
  private waiters: Array<(s: FleetStatus) => void> = [];
  /** Waiters of the sync in progress. */
  private answering: Array<(s: FleetStatus) => void> = [];

  constructor(private readonly d: AgentDeps) {
    super(d.timers);
    this.st = d.state.load();
    this.status = {
      enabled: true,
      repo: scrub(d.local.fleet.repo),
      device: d.device,
      state: 'starting',
      desired: null,
      applied: this.st.applied,
      last_fetch: null,
      last_error: this.st.history.find((h) => h.state !== 'applied') ?? null,
      history: this.st.history,
    };
  }

  view(): FleetStatus {
    return structuredClone(this.status);
  }

  /** Fetch now; resolves with the status after that sync (one that began before the call does not count). */
  trigger(): Promise<FleetStatus> {
    const done = new Promise<FleetStatus>((r) => this.waiters.push(r));
    this.nap.wake();
    return done;
  }

  /**
   * Answer the waiters of the sync in progress now, with the status as it is; with `all`, also
   * those waiting for the next one. The host calls it before it restarts the runtime, whose HTTP
   * server would otherwise wait on (or cut) those very requests; the next sync still runs.
   */
  release(all = false): void {
    for (const w of [...this.answering.splice(0), ...(all ? this.waiters.splice(0) : [])]) w(this.view());
  }

  protected async run(): Promise<void> {
    while (!this.stopped) {
      await this.syncOnce();
      await this.nap.sleep(this.d.local.fleet.interval_s * 1000);
    }
  }

  protected crashed(e: unknown): void {
    this.d.log.error('fleet agent stopped', { error: e });
  }

  private set(patch: Partial<FleetStatus>): void {
    Object.assign(this.status, patch, { applied: this.st.applied, history: this.st.history });
    this.d.onStatus?.(this.view());
  }

  private async syncOnce(): Promise<void> {
    this.answering = this.waiters.splice(0);
    try {
      this.set({ state: 'fetching' });
      try {
        await this.d.git.fetch();
        this.set({ last_fetch: { at: new Date().toISOString(), ok: true, error: null } });
      } catch (e) {
        this.set({
          state: 'offline',
          last_fetch: { at: new Date().toISOString(), ok: false, error: scrub(messageOf(e)) },
        });
        return;
      }
      const target = await this.target();
      this.set({ desired: { sha: target.sha, subject: target.subject, branch: target.branch } });
      if (target.sha === this.d.host.current().revision || this.st.failed[target.sha]) {
        this.set({ state: 'idle' });
        return;
      }
      const outcome = await this.tryApply(target);
      this.st = record(this.st, outcome);
      await this.d.state.save(this.st);
      const log = outcome.state === 'applied' ? this.d.log.info : this.d.log.warn;
      log.call(this.d.log, `fleet revision ${outcome.state}`, {
        sha: outcome.sha,
        subject: outcome.subject,
        message: outcome.message,
        problems: outcome.problems,
        ms: outcome.duration_ms,
      });
      this.set({ state: 'idle', ...(outcome.state !== 'applied' && { last_error: outcome }) });
    } catch (e) {
      this.d.log.error('fleet sync failed', { error: e });
      this.set({ state: 'error', last_fetch: { at: new Date().toISOString(), ok: false, error: scrub(messageOf(e)) } });
    } finally {
      this.release();
    }
  }

  /**
   * The revision this box follows: its local `fleet.branch`, else the branch the repo's default
   * branch assigns it (fleet.yaml, or one of its groups), rendered at that branch's head.
   */
  private async target(): Promise<Target> {
    const { git, local, fleetDir, device, catalog } = this.d;
    const first = local.fleet.branch || 'HEAD';
    const t = await renderAt(git, await git.resolve(first), fleetDir, device, catalog);
    if (local.fleet.branch || t.branch === first) return t;
    const sha = await git.resolve(t.branch);
    return sha === t.sha ? t : renderAt(git, sha, fleetDir, device, catalog);
  }

  private async tryApply(t: Target): Promise<Outcome> {
    const t0 = performance.now();
    const ms: { apply_ms?: number; rollback_ms?: number } = {};
    const end = (state: OutcomeState, message: string | null, problems: string[] = []): Outcome => ({
      sha: t.sha,
      branch: t.branch,
      subject: t.subject,
      state,
      message: message && scrub(message),
      problems,
      at: new Date().toISOString(),
      duration_ms: Math.round(performance.now() - t0),
      ...ms,
    });
    const timed = async <T>(key: keyof typeof ms, f: () => Promise<T>): Promise<T> => {
      const t1 = performance.now();
      try {
        return await f();
      } finally {
        ms[key] = Math.round(performance.now() - t1);
      }
    };
    if (!t.config)
      return end(
        'rejected',
        `the revision does not validate (${t.problems.length} problem${t.problems.length === 1 ? '' : 's'})`,
        t.problems,
      );
    const f = this.d.local.fleet;
    if (f.require_signed || t.requireSigned) {
      if (!f.allowed_signers)
        return end('rejected', 'signed commits are required, but this box has no fleet.allowed_signers');
      const why = await this.d.git.unsigned(t.sha, f.allowed_signers);
      if (why) return end('rejected', `the commit is not signed by an allowed key: ${why}`);
    }
    let config: Config;
    try {
      config = withSecrets(effectiveConfig(this.d.local, t.config));
    } catch (e) {
      return end('rejected', messageOf(e));
    }
    if (f.golden_gate && this.d.golden) {
      this.set({ state: 'golden' });
      const broken = await this.d.golden(t.dir);
      if (broken.length)
        return end(
          'rejected',
          `the revision fails its golden clips (${broken.length} problem${broken.length === 1 ? '' : 's'})`,
          broken,
        );
    }

    const prev = this.d.host.current();
    this.st = { ...this.st, trial: { sha: t.sha, branch: t.branch, subject: t.subject } };
    await this.d.state.save(this.st);
    this.set({ state: 'applying' });
    let ids: string[];
    try {
      ids = await timed('apply_ms', () => this.d.host.apply(config, t.sha));
    } catch (e) {
      return end('rejected', `could not apply: ${messageOf(e)}`);
    }

    this.set({ state: 'verifying' });
    const why = await this.gate(ids);
    if (!why) return end('applied', null);
    this.set({ state: 'rolling_back' });
    try {
      await timed('rollback_ms', () => this.d.host.apply(prev.config, prev.revision));
    } catch (e) {
      return end('rolled_back', `unhealthy after ${f.grace_s} s: ${why}; the rollback failed too: ${messageOf(e)}`);
    }
    return end('rolled_back', `unhealthy after ${f.grace_s} s: ${why}`);
  }

  /** Null once every stream in `ids` is running with new results; the reason when grace_s runs out first. */
  private async gate(ids: string[]): Promise<string | null> {
    const before = new Map(this.d.host.probe().map((s) => [s.id, s.frames_analysed]));
    const deadline = this.timers.now() + this.d.local.fleet.grace_s * 1000;
    for (;;) {
      const why = unhealthy(ids, before, this.d.host.probe());
      if (!why || this.timers.now() >= deadline) return why;
      await sleep(this.timers, Math.min(250, Math.max(0, deadline - this.timers.now())));
    }
  }
}
