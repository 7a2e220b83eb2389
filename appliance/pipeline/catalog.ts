/**
 * @module Where pipelines come from: `<pipelines dir>/<name>.yaml`, else the built-in ones embedded in
 * the binary. Loading validates fully; a bad file throws with file:line and changes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import people from './builtin/people.yaml' with { type: 'text' };
import objects from './builtin/objects.yaml' with { type: 'text' };
import { parsePipeline, type Overrides, type Pipeline } from './file';
import { AppError } from '../shared/errors';

export const BUILTIN: Record<string, string> = { people, objects };

export function loadPipeline(dir: string, name: string, overrides: Overrides = {}): Pipeline {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new AppError('config_invalid', `pipeline name '${name}' is not valid`);
  const file = join(dir, `${name}.yaml`);
  if (existsSync(file)) return parsePipeline(readFileSync(file, 'utf8'), file, overrides, name);
  const text = BUILTIN[name];
  if (text === undefined)
    throw new AppError(
      'config_invalid',
      `pipeline '${name}' not found: no ${file} and no built-in of that name (built-in: ${Object.keys(BUILTIN).join(', ')})`,
    );
  return parsePipeline(text, `builtin:${name}.yaml`, overrides, name);
}
