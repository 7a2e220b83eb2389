/**
 * @module Loads the appliance config: YAML file (optional) -> FOVEA_* environment overrides ->
 * defaults -> validation with file:line errors -> secret placeholders resolved. With no file, the
 * embedded defaults run the appliance (state in ./data, API on 127.0.0.1:8080).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Config } from './schema';
import { applyOverrides, envOverrides } from './env';
import { decode, parseYaml } from './validate';
import { realSources, resolveSecrets, type SecretSources } from './secrets';
import { AppError } from '../shared/errors';
import { registerSecret } from '../shared/scrub';

export interface Loaded {
  config: Config;
  file: string | null;
  warnings: string[];
}

export interface LoadOptions {
  file?: string | null;
  env?: Record<string, string | undefined>;
  secrets?: SecretSources;
}

/** Load from YAML text (already read); the pure core of loadConfig. */
export function loadConfigText(text: string, file: string, opts: LoadOptions = {}): Loaded {
  const env = opts.env ?? process.env;
  const parsed = parseYaml(text, file);
  if (parsed.data === null || typeof parsed.data !== 'object' || Array.isArray(parsed.data)) {
    throw new AppError('config_invalid', `${file}: the top level must be a mapping of keys`);
  }
  const { overrides, unknown } = envOverrides(Config, env);
  applyOverrides(parsed.data as Record<string, unknown>, overrides);
  const resolved = withSecrets(decode(Config, parsed, file), opts.secrets);
  const warnings = unknown.map((n) => `environment variable ${n} names no config key; ignored`);
  return { config: resolved, file, warnings };
}

/**
 * Resolve a validated config's secret placeholders. Every resolved secret, and a password typed
 * into a file (not a placeholder), is registered with the scrubber: it never reaches a log line.
 */
export function withSecrets(config: Config, secrets: SecretSources = realSources): Config {
  const resolved = resolveSecrets(config, secrets) as Config;
  for (const s of resolved.streams) if (s.password) registerSecret(s.password);
  for (const v of [
    resolved.mqtt.password,
    resolved.api.jwt.hs256_secret,
    resolved.sync.secret_access_key,
    ...resolved.webhooks.map((w) => w.secret),
  ])
    if (v) registerSecret(v);
  return resolved;
}

export function loadConfig(opts: LoadOptions = {}): Loaded {
  const file = opts.file ?? (opts.env ?? process.env).FOVEA_CONFIG ?? null;
  if (file === null) return { ...loadConfigText('{}', '<defaults>', opts), file: null };
  if (!existsSync(file)) throw new AppError('config_invalid', `config file ${file} does not exist`);
  return loadConfigText(readFileSync(file, 'utf8'), file, opts);
}
