/**
 * @module Secret placeholders in config values: `${env:NAME}` reads an environment variable,
 * `${file:/path}` a file, `${cred:name}` a systemd credential ($CREDENTIALS_DIRECTORY/name).
 * Resolved values are registered with the scrubber so they never reach a log line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../shared/errors';
import { registerSecret } from '../shared/scrub';

const PLACEHOLDER = /\$\{(env|file|cred):([^}]+)\}/g;

export interface SecretSources {
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
}

export const realSources: SecretSources = {
  env: process.env,
  readFile: (p) => readFileSync(p, 'utf8'),
};

function lookup(kind: string, ref: string, src: SecretSources, where: string): string {
  if (kind === 'env') {
    const v = src.env[ref];
    if (v === undefined) throw new AppError('config_invalid', `${where}: environment variable ${ref} is not set`);
    return v;
  }
  const path = kind === 'file' ? ref : join(src.env.CREDENTIALS_DIRECTORY ?? '', ref);
  if (kind === 'cred' && !src.env.CREDENTIALS_DIRECTORY) {
    throw new AppError(
      'config_invalid',
      `${where}: \${cred:${ref}} needs $CREDENTIALS_DIRECTORY (systemd LoadCredential)`,
    );
  }
  try {
    return src.readFile(path).replace(/\r?\n$/, '');
  } catch (e) {
    throw new AppError('config_invalid', `${where}: cannot read secret ${kind}:${ref}`, { cause: e });
  }
}

/** Replace every placeholder in every string of a parsed config tree (returns a new tree). */
export function resolveSecrets(value: unknown, src: SecretSources = realSources, path = ''): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(PLACEHOLDER, (_m, kind: string, ref: string) => {
      const secret = lookup(kind, ref, src, path || '/');
      registerSecret(secret);
      return secret;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveSecrets(v, src, `${path}/${i}`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveSecrets(v, src, `${path}/${k}`)]));
  }
  return value;
}
