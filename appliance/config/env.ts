/**
 * @module Environment overrides: FOVEA_ + a config path in upper snake case sets that key
 * (FOVEA_API_PORT -> api.port, FOVEA_MODELS_PROVIDERS=cpu -> models.providers). Key names contain
 * underscores too, so the path is found by walking the schema, not by splitting on '_'.
 */
import { setIn } from '../shared/keys';
import type { TSchema } from '@sinclair/typebox';
import { AppError } from '../shared/errors';

/** Variables with the prefix that are not config keys (read elsewhere). */
export const RESERVED = new Set(['FOVEA_CONFIG', 'FOVEA_SHARED', 'FOVEA_NATIVE_DIR', 'FOVEA_TOKEN']);

const snake = (key: string) => key.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();

/** The config path an env suffix (after FOVEA_) names, or null when it names no key. */
export function pathForEnv(schema: TSchema, suffix: string): string[] | null {
  if (suffix === '') return [];
  if (schema.type !== 'object' || !schema.properties) return null;
  for (const [key, sub] of Object.entries(schema.properties as Record<string, TSchema>)) {
    const k = snake(key);
    if (suffix === k) return [key];
    if (suffix.startsWith(`${k}_`)) {
      const rest = pathForEnv(sub, suffix.slice(k.length + 1));
      if (rest) return [key, ...rest];
    }
  }
  return null;
}

function schemaAt(schema: TSchema, path: string[]): TSchema {
  return path.reduce((s, k) => (s.properties as Record<string, TSchema>)[k]!, schema);
}

/** Parse an env string by the type its key expects; arrays take JSON or comma-separated items. */
export function coerce(schema: TSchema, raw: string, name: string): unknown {
  const fail = () => new AppError('config_invalid', `${name}: '${raw}' is not a valid ${schema.type ?? 'value'}`);
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) throw fail();
      return n;
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      throw fail();
    case 'array':
      if (raw.trim().startsWith('[')) {
        try {
          return JSON.parse(raw);
        } catch {
          throw fail();
        }
      }
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'object':
      try {
        return JSON.parse(raw);
      } catch {
        throw fail();
      }
    default:
      return raw;
  }
}

export interface EnvOverride {
  path: string[];
  value: unknown;
  name: string;
}

/** Every FOVEA_* override in env; unknown names are returned apart so the caller can warn. */
export function envOverrides(
  schema: TSchema,
  env: Record<string, string | undefined>,
): { overrides: EnvOverride[]; unknown: string[] } {
  const overrides: EnvOverride[] = [];
  const unknown: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('FOVEA_') || raw === undefined || RESERVED.has(name)) continue;
    const path = pathForEnv(schema, name.slice('FOVEA_'.length));
    if (!path || path.length === 0) {
      unknown.push(name);
      continue;
    }
    overrides.push({ path, value: coerce(schemaAt(schema, path), raw, name), name });
  }
  return { overrides, unknown };
}

export function applyOverrides(tree: Record<string, unknown>, overrides: EnvOverride[]): Record<string, unknown> {
  for (const { path, value, name } of overrides) setIn(tree, path, value, name);
  return tree;
}
