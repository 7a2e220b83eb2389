/**
 * @module The config a revision of the fleet repo gives this box: its files exported from the
 * mirror into a directory of their own, the device rendered from them and every pipeline checked.
 * A revision that does not render cleanly comes back with its problems as `file:line` lines and no
 * config.
 */
import { join } from 'node:path';
import type { Git } from './git';
import { readFleetRepo, formatFleetProblem } from './repo';
import { renderDevice, checkPipelines } from './render';
import { checkGolden } from './golden';
import type { Catalog } from '../models/catalog';
import type { Config } from '../config/schema';

export interface Target {
  sha: string;
  subject: string;
  /** The branch or tag the device follows at this revision (fleet.yaml, or its group). */
  branch: string;
  requireSigned: boolean;
  /** The exported files; pipelines are read from `<dir>/pipelines`. */
  dir: string;
  config: Config | null;
  problems: string[];
}

export const revisionDir = (fleetDir: string, sha: string) => join(fleetDir, 'rev', sha);

/** Render `device` from the files of an exported revision (no git, no network: a boot or a rollback). */
export function renderDir(dir: string, device: string, catalog: Catalog): Omit<Target, 'sha' | 'subject'> {
  const repo = readFleetRepo(dir);
  const r = renderDevice(repo, device, join(dir, 'pipelines'));
  const problems = [
    ...new Set(
      [...repo.problems, ...checkPipelines(repo, catalog), ...checkGolden(dir), ...r.problems].map(formatFleetProblem),
    ),
  ];
  return { branch: r.branch, requireSigned: r.requireSigned, dir, config: problems.length ? null : r.config, problems };
}

/** Render `device` at commit `sha` (exported under `fleetDir` once, then reused). */
export async function renderAt(
  git: Git,
  sha: string,
  fleetDir: string,
  device: string,
  catalog: Catalog,
): Promise<Target> {
  const dir = revisionDir(fleetDir, sha);
  await git.export(sha, dir);
  return { sha, subject: await git.subject(sha), ...renderDir(dir, device, catalog) };
}
