/**
 * @module Test fixtures: the shared material (FOVEA_SHARED, default ../shared), temp dirs cleaned up
 * with `await using`, and a real appliance (runtime + HTTP server on 127.0.0.1, port 0).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { Config, StreamConfig } from '../../appliance/config/schema';
import type { Runtime } from '../../appliance/compose/runtime';
import { Appliance as Box } from '../../appliance/compose/appliance';
import { builtinCatalog, findModel } from '../../appliance/models/catalog';
import { pullModel } from '../../appliance/models/pull';
import { configureLogs, createLogger } from '../../appliance/shared/log';
import { sharedRoot } from './shared';

/** FOVEA_SHARED (default ../shared), or a cache filled from the pinned upstreams where it lacks files (shared.ts). */
export const SHARED = resolve(await sharedRoot());
export const IMAGES = join(SHARED, 'media/images');
export const COCO = join(IMAGES, 'coco');

/** Model files are pulled once per test run into one cache dir, from the shared mirror. */
export const MODELS_DIR = join(tmpdir(), 'fovea-test-models');

export async function ensureModel(...refs: string[]): Promise<void> {
  const catalog = builtinCatalog();
  for (const ref of refs.length ? refs : ['mobilenetv2-embed@1', 'yolox-nano@1']) {
    await pullModel(findModel(catalog, ref), catalog, { dir: MODELS_DIR, mirror: join(SHARED, 'models') });
  }
}

export async function tempDir(prefix = 'fovea-test-'): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** Tests poll the API many times a second: no rate limit unless a test sets one. */
export function testConfig(stateDir: string, overrides: Record<string, unknown> = {}): Config {
  const base = Value.Default(
    Config,
    structuredClone({
      state_dir: stateDir,
      models: { dir: MODELS_DIR, providers: ['cpu'] },
      api: { port: 0, rate_limit_per_minute: 1_000_000 },
      log: { level: 'error' },
    }),
  ) as Config;
  // Sections (api, api.login, mqtt, …) merge at every depth, so a test names only the keys it changes.
  const isSection = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  const merge = (into: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...into };
    for (const [k, v] of Object.entries(over)) out[k] = isSection(v) && isSection(out[k]) ? merge(out[k], v) : v;
    return out;
  };
  const merged = merge(base as unknown as Record<string, unknown>, overrides);
  if (!Value.Check(Config, merged))
    throw new Error(`bad test config: ${JSON.stringify([...Value.Errors(Config, merged)][0])}`);
  return merged as Config;
}

export interface Appliance extends AsyncDisposable {
  url: string;
  /** The gRPC port when the test turned grpc on. */
  grpcPort: number | null;
  key: string;
  rt: Runtime;
  /** The appliance itself (a config applied live, as the fleet agent does). */
  box: Box;
  state: string;
  /** fetch with the API key set. */
  api(path: string, init?: RequestInit): Promise<Response>;
}

export async function startAppliance(overrides: Record<string, unknown> = {}, state?: string): Promise<Appliance> {
  await ensureModel();
  const dir = state ? { path: state, [Symbol.asyncDispose]: async () => {} } : await tempDir();
  const config = testConfig(dir.path, overrides);
  configureLogs({ level: config.log.level });
  const box = await Box.start(config, createLogger({ test: true }));
  const { runtime: rt, url } = box;
  const key = await rt.keys.create(`test-${Math.random().toString(36).slice(2)}`);
  return {
    url,
    grpcPort: box.grpcPort,
    key,
    rt,
    box,
    state: dir.path,
    api: (path, init = {}) =>
      fetch(url + path, { ...init, headers: { 'x-api-key': key, ...(init.headers as object) } }),
    async [Symbol.asyncDispose]() {
      await box.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** Users of a running appliance, each with an API key of their own: name → key. */
export async function usersWithKeys(
  app: Appliance,
  users: ReadonlyArray<readonly [string, 'viewer' | 'operator' | 'admin']>,
): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for (const [name, role] of users) {
    const u = await app.rt.users.create(name, role, null);
    keys[name] = await app.rt.keys.create(`k-${name}`, { user_id: u.id });
  }
  return keys;
}

export function form(fields: Record<string, string | Blob | [Blob, string]>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (Array.isArray(v)) f.append(k, v[0], v[1]);
    else f.append(k, v);
  }
  return f;
}

export const fileBlob = async (path: string, type = 'application/octet-stream') =>
  new Blob([await Bun.file(path).arrayBuffer()], { type });

export const VIDEOS = join(SHARED, 'media/videos');

/** Wait until cond() is truthy (checked every 50 ms), or fail after ms with what was last seen. */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  ms: number,
  what: string,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await cond();
    if (last) return last as Exclude<T, false | null | undefined | 0 | ''>;
    await Bun.sleep(50);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** A stream config with the schema's defaults; tests read files as fast as inference allows. */
export function stream(over: Record<string, unknown> & { id: string; url: string; pipeline: string }) {
  return Value.Default(StreamConfig, { realtime: false, queue: 8, ...over }) as StreamConfig;
}

/** The sample person video as a live-like stream (real time, looping, 5 fps) through the `people` pipeline. */
export const personStream = (id = 'table') =>
  stream({
    id,
    url: join(VIDEOS, 'one-by-one-person-detection.mp4'),
    pipeline: 'people',
    realtime: true,
    loop: true,
    fps: 5,
  });
