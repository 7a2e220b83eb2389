/**
 * @module What a box runs when it follows a fleet repo: the device's rendered config, except the
 * keys that describe the box itself (where its state is, which device it is, where it pulls from,
 * where its model files are), which stay as its local config says. And what a change needs: only
 * streams and pipelines can change while everything keeps running; any other key is applied by
 * restarting the runtime in the process. Pure.
 */
import type { Config } from '../config/schema';
import { stableJson } from '../shared/json';

export function effectiveConfig(local: Config, rendered: Config): Config {
  return {
    ...rendered,
    state_dir: local.state_dir,
    fleet: local.fleet,
    models: { ...rendered.models, dir: local.models.dir, mirror: local.models.mirror },
  };
}

/** Keys a live apply handles: streams are reconciled one by one, pipelines come with them. */
const LIVE = new Set(['streams', 'pipelines']);

/** The top-level keys that differ outside streams and pipelines (empty: the change can be applied live). */
export function restartKeys(running: Config, next: Config): string[] {
  const keys = new Set([...Object.keys(running), ...Object.keys(next)]);
  return [...keys]
    .filter(
      (k) =>
        !LIVE.has(k) &&
        stableJson((running as Record<string, unknown>)[k]) !== stableJson((next as Record<string, unknown>)[k]),
    )
    .sort();
}
