/**
 * @module What every subcommand needs first: the config (file from --config or FOVEA_CONFIG, else the
 * embedded defaults) and logging set to its level. Also where the shared mirror is looked for.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { configureLogs, rootLog, type Logger } from '../shared/log';

export function setup(values: Record<string, unknown>): { config: Config; log: Logger; file: string | null } {
  const { config, warnings, file } = loadConfig({ file: (values.config as string | undefined) ?? null });
  configureLogs({ level: config.log.level });
  for (const w of warnings) rootLog.warn(w);
  return { config, log: rootLog, file };
}

/** The shared material directory (models and media mirrors), when there is one. */
export function sharedDir(): string | null {
  const dir = resolve(process.env.FOVEA_SHARED ?? '../shared');
  return existsSync(dir) ? dir : null;
}

/** The model mirror: the config's, else <shared>/models when present. */
export function modelMirror(config: Config): string | undefined {
  if (config.models.mirror) return resolve(config.models.mirror);
  const shared = sharedDir();
  return shared && existsSync(join(shared, 'models')) ? join(shared, 'models') : undefined;
}

export const print = (s: string) => process.stdout.write(`${s}\n`);
