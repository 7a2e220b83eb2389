/**
 * @module GET /health: open, no auth. Reports db, index, models, storage and the version; 503 when any
 * of them is down, so a load balancer or systemd check can act on the status alone.
 */
import { Elysia } from 'elysia';
import type { Runtime } from '../runtime';
import { VERSION } from '../version';

type Check = { ok: boolean; detail?: unknown };

export async function checks(rt: Runtime): Promise<Record<string, Check>> {
  const db = await rt.db.all<{ n: bigint }>('SELECT count(*) AS n FROM images').then(
    (r) => ({ ok: true, detail: { images: Number(r[0]!.n), path: rt.paths.db } }),
    (e) => ({ ok: false, detail: String(e.message ?? e) }),
  );
  const consistent = await rt.index.consistent().catch(() => false);
  return {
    db,
    index: { ok: consistent, detail: { vectors: rt.index.index.size, consistent, model: rt.index.modelId, last_rebuild: rt.index.lastRebuild } },
    models: { ok: true, detail: { embed: rt.embedder.modelRef, dims: rt.embedder.dims, provider: rt.embedder.provider } },
    storage: { ok: await rt.objects.healthy(), detail: { root: rt.paths.objects } },
  };
}

export const healthApi = (rt: Runtime) =>
  new Elysia({ name: 'api-health', detail: { tags: ['health'] } })
    .get('/health', async ({ set }) => {
      const c = await checks(rt);
      const ok = Object.values(c).every((x) => x.ok);
      set.status = ok ? 200 : 503;
      return { status: ok ? 'ok' : 'degraded', version: VERSION, uptime_s: Math.round((Date.now() - rt.startedAt.getTime()) / 1000), checks: c };
    }, { detail: { summary: 'Health of db, index, models and storage' } });
