/**
 * @module What a box that follows a fleet repo starts with: the revision it last applied and
 * verified, rendered again from that revision's exported files (no network needed), else its
 * local config. A revision still on trial when the box stopped (a crash or a restart during its
 * health gate) is recorded as rolled back and not tried again.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config/schema';
import { withSecrets } from '../config/load';
import type { Catalog } from '../models/catalog';
import type { Logger } from '../shared/log';
import { messageOf } from '../shared/errors';
import { effectiveConfig } from './effective';
import { record, type StateFile } from './state';
import { renderDir, revisionDir } from './target';

export async function bootConfig(
  local: Config,
  device: string,
  catalog: Catalog,
  state: StateFile,
  fleetDir: string,
  log: Logger,
): Promise<{ config: Config; revision: string | null }> {
  let st = state.load();
  if (st.trial) {
    st = record(st, {
      ...st.trial,
      state: 'rolled_back',
      message: 'the box stopped during the health gate',
      problems: [],
      at: new Date().toISOString(),
      duration_ms: 0,
    });
    await state.save(st);
    log.warn('fleet revision rolled back: the box stopped during its health gate', { sha: st.history[0]!.sha });
  }
  const applied = st.applied;
  if (!applied) return { config: local, revision: null };
  const dir = revisionDir(fleetDir, applied.sha);
  if (!existsSync(dir)) {
    log.warn('the applied fleet revision is missing on disk; starting on the local config', { sha: applied.sha });
    return { config: local, revision: null };
  }
  const r = renderDir(dir, device, catalog);
  try {
    if (!r.config) throw new Error(r.problems.join('; '));
    return { config: withSecrets(effectiveConfig(local, r.config)), revision: applied.sha };
  } catch (e) {
    log.error('the applied fleet revision no longer renders here; starting on the local config', {
      sha: applied.sha,
      error: messageOf(e),
    });
    return { config: local, revision: null };
  }
}
