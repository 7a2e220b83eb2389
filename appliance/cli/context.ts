/**
 * @module What every subcommand needs first: the config (file from --config or FOVEA_CONFIG, else the
 * embedded defaults) and logging set to its level.
 */
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { configureLogs, rootLog, type Logger } from '../shared/log';

export function setup(values: Record<string, unknown>): { config: Config; log: Logger; file: string | null } {
  const { config, warnings, file } = loadConfig({ file: (values.config as string | undefined) ?? null });
  configureLogs({ level: config.log.level });
  for (const w of warnings) rootLog.warn(w);
  return { config, log: rootLog, file };
}

export const print = (s: string) => process.stdout.write(`${s}\n`);
