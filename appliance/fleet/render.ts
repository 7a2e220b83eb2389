/**
 * @module A device's effective config from a fleet repo: defaults < its groups (in the order it
 * lists them) < its own file, checked against the appliance config schema, with every problem
 * pointing at the file and line that caused it. Also: the branch the device follows, that secrets
 * are references and never values, that every stream's pipeline exists and every pipeline parses
 * with models the catalog knows. Nothing here touches a running appliance.
 */
import { createHash } from 'node:crypto';
import { checkGolden } from './golden';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { Config } from '../config/schema';
import { check, lineOf, parseYaml } from '../config/validate';
import { parsePipeline } from '../pipeline/file';
import { BUILTIN } from '../pipeline/catalog';
import { findModel, type Catalog } from '../models/catalog';
import { AppError } from '../shared/errors';
import { isPlain, locate, mergeInto, mergeStreams, type Origins } from './merge';
import { FLEET_OWNED } from './schema';
import type { FleetProblem, FleetRepo, FleetYaml } from './repo';

export interface Rendered {
  device: string;
  branch: string;
  requireSigned: boolean;
  config: Config | null;
  problems: FleetProblem[];
}

const SECRET = /^\$\{(env|file|cred):[^}]+\}$/;
/** Config paths whose values are secrets (a * is any array index). */
const SECRET_PATHS = [
  '/streams/*/password',
  '/mqtt/password',
  '/sync/secret_access_key',
  '/api/jwt/hs256_secret',
  '/webhooks/*/secret',
];

function valuesAt(value: unknown, pattern: string): Array<{ path: string; value: unknown }> {
  let found: Array<{ path: string; value: unknown }> = [{ path: '', value }];
  for (const k of pattern.split('/').slice(1)) {
    found = found.flatMap(({ path, value: v }) => {
      if (k === '*') return Array.isArray(v) ? v.map((x, i) => ({ path: `${path}/${i}`, value: x })) : [];
      return isPlain(v) && k in v ? [{ path: `${path}/${k}`, value: v[k] }] : [];
    });
  }
  return found;
}

type Level = FleetYaml<{ config: Record<string, unknown>; streams: Array<Record<string, unknown>> }>;

/** Render one device. `pipelinesDir` is where the appliance will find the repo's pipelines. */
export function renderDevice(repo: FleetRepo, device: string, pipelinesDir: string): Rendered {
  const problems: FleetProblem[] = [];
  const fleet = repo.fleet;
  const dev = repo.devices.get(device);
  const out: Rendered = {
    device,
    branch: fleet?.data.branch ?? 'main',
    requireSigned: fleet?.data.require_signed ?? false,
    config: null,
    problems,
  };
  if (!fleet || !dev) {
    if (!dev)
      problems.push({
        file: `devices/${device}.yaml`,
        line: null,
        path: '',
        message: repo.problems.some((p) => p.file.startsWith(`devices/${device}.`))
          ? 'this file has problems (listed above)'
          : `no device '${device}' in the fleet repo`,
      });
    return out;
  }
  const levels: Level[] = [fleet];
  dev.data.groups.forEach((g, i) => {
    const group = repo.groups.get(g);
    if (!group) {
      problems.push({
        file: dev.file,
        line: lineOf(dev.parsed.doc, dev.parsed.lc, `/groups/${i}`),
        path: `/groups/${i}`,
        message: `no group '${g}' (groups/${g}.yaml)`,
      });
      return;
    }
    levels.push(group);
    if (group.data.branch) out.branch = group.data.branch;
  });
  levels.push(dev);

  const merged: Record<string, unknown> = {};
  const streams: Array<Record<string, unknown>> = [];
  const origins: Origins = new Map();
  for (const l of levels) {
    for (const k of FLEET_OWNED) {
      if (k in l.data.config)
        problems.push({
          file: l.file,
          line: lineOf(l.parsed.doc, l.parsed.lc, `/config/${k}`),
          path: `/config/${k}`,
          message:
            k === 'streams'
              ? "'streams' is set by the fleet: use the top-level streams list"
              : `'${k}' is not set from the fleet repo`,
        });
    }
    const own = Object.fromEntries(
      Object.entries(l.data.config).filter(([k]) => !(FLEET_OWNED as readonly string[]).includes(k)),
    );
    mergeInto(merged, own, '', { file: l.file, at: '/config' }, origins);
    mergeStreams(streams, l.data.streams, { file: l.file, at: '/streams' }, origins);
  }
  merged.device_id = device;
  merged.pipelines = { dir: pipelinesDir };
  merged.streams = streams;

  const docOf = new Map(levels.map((l) => [l.file, l.parsed]));
  const at = (path: string) => {
    const src = locate(origins, path);
    const file = src?.file ?? dev.file;
    const parsed = docOf.get(file)!;
    return { file, line: src ? lineOf(parsed.doc, parsed.lc, src.at) : null };
  };
  const config = Value.Default(Config, structuredClone(merged)) as Config;
  for (const p of check(Config, config)) problems.push({ ...at(p.path), path: p.path, message: p.message });

  for (const pattern of SECRET_PATHS) {
    for (const { path, value } of valuesAt(config, pattern)) {
      if (typeof value === 'string' && value !== '' && !SECRET.test(value)) {
        problems.push({
          ...at(path),
          path,
          message: 'a secret must be a reference (${env:NAME}, ${file:/path} or ${cred:name}), never the value',
        });
      }
    }
  }
  for (const [i, s] of (config.streams ?? []).entries()) {
    const refs: Array<[string, unknown]> = [
      [`/streams/${i}/pipeline`, s.pipeline],
      [`/streams/${i}/shadow/pipeline`, s.shadow?.pipeline],
    ];
    for (const [path, name] of refs)
      if (typeof name === 'string' && !repo.pipelines.has(name) && BUILTIN[name] === undefined)
        problems.push({
          ...at(path),
          path,
          message: `no pipeline '${name}' (pipelines/${name}.yaml, or built-in: ${Object.keys(BUILTIN).join(', ')})`,
        });
  }
  if (problems.length === 0) out.config = config;
  return out;
}

/** Every pipeline file of the repo: it parses (stages, options, graph), and its models are in the catalog. */
const modelProblem = (catalog: Catalog, ref: string): string | null => {
  try {
    findModel(catalog, ref);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
};

/**
 * A classifier a pipeline of the repo uses (`custom/<name>`) must be in the repo, as
 * `classifiers/<name>/` with its card and head (the head the card names), made for an embedding
 * model of the catalog with the catalog's sha256.
 */
function classifierProblem(dir: string, name: string, catalog: Catalog): string | null {
  const at = `classifiers/${name}/`;
  let card: { onnx_sha256?: string; embedding_model?: string; embedding_sha256?: string };
  let head: Buffer;
  try {
    card = JSON.parse(readFileSync(join(dir, at, 'card.json'), 'utf8'));
    head = readFileSync(join(dir, at, 'head.onnx'));
  } catch {
    return `custom/${name} needs ${at}card.json and ${at}head.onnx in the repo (fovea classifiers export ${name} <repo>)`;
  }
  if (createHash('sha256').update(head).digest('hex') !== card.onnx_sha256)
    return `${at}head.onnx is not the head its card.json names (onnx_sha256)`;
  const ref = String(card.embedding_model ?? '');
  let entry: ReturnType<typeof findModel>;
  try {
    entry = findModel(catalog, ref);
  } catch {
    return `custom/${name} was trained on ${ref || 'an unnamed model'} embeddings, which the catalog does not have`;
  }
  if (card.embedding_sha256 && entry.sha256 && card.embedding_sha256 !== entry.sha256)
    return `custom/${name} was made for ${ref} (sha256 ${card.embedding_sha256.slice(0, 12)}…); the catalog's is ${entry.sha256.slice(0, 12)}…`;
  return null;
}

export function checkPipelines(repo: FleetRepo, catalog: Catalog): FleetProblem[] {
  const problems: FleetProblem[] = [];
  for (const [name, path] of repo.pipelines) {
    const file = `pipelines/${name}.yaml`;
    const text = readFileSync(path, 'utf8');
    try {
      const p = parsePipeline(text, file, {}, name);
      const parsed = parseYaml(text, file);
      for (const s of p.stages) {
        const model = (s.options as { model?: unknown }).model;
        if (typeof model !== 'string') continue;
        const path = `/stages/${s.name}/options/model`;
        const problem = model.startsWith('custom/')
          ? classifierProblem(repo.dir, model.slice('custom/'.length), catalog)
          : modelProblem(catalog, model);
        if (problem) problems.push({ file, line: lineOf(parsed.doc, parsed.lc, path), path, message: problem });
      }
    } catch (e) {
      const details = (e instanceof AppError ? e.details : null) as Array<{
        path: string;
        line: number | null;
        message: string;
      }> | null;
      for (const d of details ?? [{ path: '', line: null, message: (e as Error).message }])
        problems.push({ ...d, file });
    }
  }
  return problems;
}

/** Everything `fovea fleet validate` checks: the files, every pipeline, every device's rendered config. */
export function validateFleet(
  repo: FleetRepo,
  catalog: Catalog,
  pipelinesDir: string,
): { problems: FleetProblem[]; devices: Rendered[] } {
  const devices = [...repo.devices.keys()].map((d) => renderDevice(repo, d, pipelinesDir));
  const problems = [
    ...repo.problems,
    ...checkPipelines(repo, catalog),
    ...checkGolden(repo.dir),
    ...devices.flatMap((d) => d.problems),
  ];
  // The same problem reached through two devices (a shared group file) is listed once.
  const seen = new Set<string>();
  return {
    problems: problems.filter((p) => {
      const k = `${p.file}:${p.line}:${p.path}:${p.message}`;
      return !seen.has(k) && !!seen.add(k);
    }),
    devices,
  };
}
