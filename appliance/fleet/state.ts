/**
 * @module What the fleet agent remembers across restarts, in `<state>/fleet/state.json` (written to
 * a temp file and renamed, so a power cut leaves the old or the new file, never half of one): the
 * revision the box runs, a revision on trial (a restart during its health gate counts against
 * it), every revision that failed (never tried again) and recent history.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Revision {
  sha: string;
  branch: string;
  subject: string;
}
export type OutcomeState = 'applied' | 'rejected' | 'rolled_back';
export interface Outcome extends Revision {
  state: OutcomeState;
  message: string | null;
  problems: string[];
  at: string;
  /** From the start of the checks to the outcome (health gate included). */
  duration_ms: number;
  /** The host's apply alone (build, swap or restart), and the rollback's, when there was one. */
  apply_ms?: number;
  rollback_ms?: number;
}

export interface AgentState {
  applied: (Revision & { at: string }) | null;
  trial: Revision | null;
  failed: Record<string, Outcome>;
  history: Outcome[];
}

const HISTORY = 20;

export const emptyState = (): AgentState => ({ applied: null, trial: null, failed: {}, history: [] });

/** Record an outcome: applied becomes the running revision; the others are remembered as failed. */
export function record(s: AgentState, o: Outcome): AgentState {
  const history = [o, ...s.history].slice(0, HISTORY);
  if (o.state === 'applied')
    return { ...s, applied: { sha: o.sha, branch: o.branch, subject: o.subject, at: o.at }, trial: null, history };
  return { ...s, trial: null, failed: { ...s.failed, [o.sha]: o }, history };
}

export class StateFile {
  constructor(readonly path: string) {}

  load(): AgentState {
    if (!existsSync(this.path)) return emptyState();
    return { ...emptyState(), ...(JSON.parse(readFileSync(this.path, 'utf8')) as Partial<AgentState>) };
  }

  async save(s: AgentState): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(s, null, 2));
    await rename(tmp, this.path);
  }
}
