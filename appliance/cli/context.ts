/**
 * @module What every subcommand needs first: the config (file from --config or FOVEA_CONFIG, else the
 * embedded defaults) and logging set to its level.
 */
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { configureLogs, rootLog, type Logger } from '../shared/log';
import { urlHost } from '../shared/url';

export function setup(values: Record<string, unknown>): { config: Config; log: Logger; file: string | null } {
  const { config, warnings, file } = loadConfig({ file: (values.config as string | undefined) ?? null });
  configureLogs({ level: config.log.level });
  for (const w of warnings) rootLog.warn(w);
  return { config, log: rootLog, file };
}

export const print = (s: string) => process.stdout.write(`${s}\n`);

/** Where this box's API answers on this machine (what a command asks of a running appliance). */
export const apiUrlOf = (config: Config) =>
  `${config.api.tls.cert_file ? 'https' : 'http'}://${urlHost(config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host)}:${config.api.port}`;
