/**
 * @module GET /health: open, no auth. Reports db, index, models, storage and the version; 503 when any
 * of them is down, so a load balancer or systemd check can act on the status alone. The parts are
 * looked at once a second at most; callers in between get that look.
 */
import { Elysia } from 'elysia';
import type { Db } from '../store/duckdb';
import { countImages } from '../store/images';
import type { SearchIndex } from '../search/service';
import type { Embedder } from '../inference/embedder';
import type { ModelState } from '../models/fetcher';
import type { ObjectStore } from '../objects/port';
import type { Paths } from '../config/paths';
import { VERSION } from '../shared/version';

type Check = { ok: boolean; detail?: unknown };

export interface HealthDeps {
  db: Db;
  /** The provider each opened model session runs on, and why the ones before it could not. */
  models: { providers: ReadonlyMap<string, { provider: string; fallbacks: readonly string[] }> };
  paths: Pick<Paths, 'db' | 'objects'>;
  index: SearchIndex;
  embedder: Embedder;
  /** The models the config uses that were pulled or are being pulled (first run). */
  fetcher: { states(): ModelState[] };
  objects: ObjectStore;
  startedAt: Date;
}

async function checks(rt: HealthDeps): Promise<Record<string, Check>> {
  const db = await countImages(rt.db).then(
    (images) => ({ ok: true, detail: { images, path: rt.paths.db } }),
    (e: Error) => ({ ok: false, detail: String(e.message ?? e) }),
  );
  const consistent = await rt.index.consistent().catch(() => false);
  // A rebuild in the background is not a fault: searches are answered exactly meanwhile.
  const rebuilding = rt.index.rebuilding;
  return {
    db,
    index: {
      ok: consistent || rebuilding !== null,
      detail: {
        vectors: rt.index.index.size,
        consistent,
        rebuilding,
        model: rt.index.modelId,
        last_rebuild: rt.index.lastRebuild,
        last_catch_up: rt.index.lastCatchUp,
      },
    },
    models: {
      // Degraded while a model the config uses is still being pulled (first run) or failed to.
      ok: rt.fetcher.states().every((s) => s.state === 'present'),
      detail: {
        embed: rt.embedder.modelRef,
        dims: rt.embedder.dims,
        provider: rt.embedder.provider,
        // Every model a stream or run opened, with the provider it fell to (see the log for why).
        sessions: Object.fromEntries(rt.models.providers),
        pulls: rt.fetcher.states(),
      },
    },
    storage: { ok: await rt.objects.healthy(), detail: { root: rt.paths.objects } },
  };
}

/** How long one look at the parts answers /health: a scrape every second costs one look, not one per scraper. */
const FRESH_MS = 1000;

export const healthApi = (rt: HealthDeps, now = () => Date.now()) => {
  let last: { at: number; checks: Promise<Record<string, Check>> } | null = null;
  const current = () => {
    if (!last || now() - last.at >= FRESH_MS) last = { at: now(), checks: checks(rt) };
    return last.checks;
  };
  return new Elysia({ name: 'api-health', detail: { tags: ['health'] } }).get(
    '/health',
    async ({ set }) => {
      const c = await current();
      const ok = Object.values(c).every((x) => x.ok);
      set.status = ok ? 200 : 503;
      return {
        status: ok ? 'ok' : 'degraded',
        version: VERSION,
        uptime_s: Math.round((Date.now() - rt.startedAt.getTime()) / 1000),
        checks: c,
      };
    },
    { detail: { summary: 'Health of db, index, models and storage' } },
  );
};
