/**
 * @module Reading a fleet repo's files from a directory (a checkout): each YAML file parsed and
 * checked against its schema, every problem kept with its file and line rather than thrown, so
 * one run of `fovea fleet validate` lists them all.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TSchema, Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { check, parseYaml, type Parsed, type Problem } from '../config/validate';
import { AppError } from '../shared/errors';
import { DeviceFile, FleetFile, GroupFile, NAME_PATTERN } from './schema';

export interface FleetProblem extends Problem {
  file: string;
}

export interface FleetYaml<T> {
  file: string;
  parsed: Parsed;
  data: T;
}

export interface FleetRepo {
  dir: string;
  fleet: FleetYaml<FleetFile> | null;
  groups: Map<string, FleetYaml<GroupFile>>;
  devices: Map<string, FleetYaml<DeviceFile>>;
  /** Pipeline name -> file path. */
  pipelines: Map<string, string>;
  problems: FleetProblem[];
}

export const formatFleetProblem = (p: FleetProblem) =>
  `${p.file}${p.line ? `:${p.line}` : ''}: ${p.path || '/'}: ${p.message}`;

export function readYaml<S extends TSchema>(
  dir: string,
  path: string,
  schema: S,
  problems: FleetProblem[],
): FleetYaml<Static<S>> | null {
  const file = relative(dir, path) || path;
  let parsed: Parsed;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'), file);
  } catch (e) {
    const details = (e instanceof AppError ? e.details : null) as Problem[] | null;
    for (const d of details ?? [{ path: '', line: null, message: (e as Error).message }]) problems.push({ ...d, file });
    return null;
  }
  const data = Value.Default(schema, structuredClone(parsed.data ?? {})) as Static<S>;
  const found = check(schema, data, parsed);
  for (const p of found) problems.push({ ...p, file });
  return found.length ? null : { file, parsed, data };
}

/** The `<name>.yaml` files of a sub-directory, by name; a badly named file is a problem. */
export function yamlFiles(dir: string, sub: string, problems: FleetProblem[]): Array<[string, string]> {
  const d = join(dir, sub);
  if (!existsSync(d)) return [];
  const out: Array<[string, string]> = [];
  for (const f of readdirSync(d).sort()) {
    if (!/\.ya?ml$/.test(f)) continue;
    const name = f.replace(/\.ya?ml$/, '');
    if (!NAME_PATTERN.test(name)) {
      problems.push({
        file: `${sub}/${f}`,
        line: null,
        path: '',
        message: `'${name}' is not a valid name (lower case letters, digits, - and _)`,
      });
      continue;
    }
    out.push([name, join(d, f)]);
  }
  return out;
}

export function readFleetRepo(dir: string): FleetRepo {
  const problems: FleetProblem[] = [];
  const fleetPath = join(dir, 'fleet.yaml');
  const fleet = existsSync(fleetPath) ? readYaml(dir, fleetPath, FleetFile, problems) : null;
  if (!existsSync(fleetPath))
    problems.push({
      file: 'fleet.yaml',
      line: null,
      path: '',
      message: `missing: a fleet repo has fleet.yaml at its top (looked in ${dir})`,
    });
  const groups = new Map<string, FleetYaml<GroupFile>>();
  for (const [name, path] of yamlFiles(dir, 'groups', problems)) {
    const g = readYaml(dir, path, GroupFile, problems);
    if (g) groups.set(name, g);
  }
  const devices = new Map<string, FleetYaml<DeviceFile>>();
  for (const [name, path] of yamlFiles(dir, 'devices', problems)) {
    const d = readYaml(dir, path, DeviceFile, problems);
    if (d) devices.set(name, d);
  }
  const pipelines = new Map(yamlFiles(dir, 'pipelines', problems));
  return { dir, fleet, groups, devices, pipelines, problems };
}
