/**
 * @module Where `fovea images import` puts photos: a running box through its API (POST
 * /api/images/known, then POST /api/images), or a stopped box's library opened in this process.
 * Both answer the same port (images/import), so an import behaves alike either way: the same
 * refusals, the same skips. Over the API, a throttled or momentarily full box is waited for (its
 * Retry-After), a box that cannot be reached is retried a few times and then stops the import.
 */
import { Refused, type ImportTarget } from '../images/import';
import type { ImageService } from '../images/service';
import { AppError, isAppError } from '../shared/errors';

/** What the box says of a file it will not take; the import goes on with the next. */
const REFUSALS = new Set([
  'unsupported_media_type',
  'payload_too_large',
  'unprocessable_image',
  'quota_exceeded',
  'validation_failed',
]);

export interface PhotoFields {
  tags: string[];
  private: boolean;
  /** A user name (the API) or id (a stopped box); absent: the caller's own. */
  owner?: string;
}

export function localTarget(images: ImageService, owner: string, f: PhotoFields): ImportTarget {
  return {
    known: async (hashes) => new Set(await images.known(owner, hashes)),
    async put(p) {
      try {
        await images.register({
          data: p.data,
          fileName: p.fileName,
          name: null,
          description: null,
          tags: f.tags,
          owner,
          private: f.private,
        });
      } catch (e) {
        if (isAppError(e) && REFUSALS.has(e.code)) throw new Refused(e.code, e.message);
        throw e;
      }
    },
  };
}

export interface ApiOptions {
  url: string;
  token: string | null;
  /** Said once, when the box first holds the import back (no images:import on the key). */
  notice: (text: string) => void;
  sleep?: (ms: number) => Promise<void>;
  /** Tries of a request that could not reach the box before the import stops. */
  tries?: number;
}

interface ErrorBody {
  error?: { code?: string; message?: string };
}

export function apiTarget(o: ApiOptions, f: PhotoFields): ImportTarget {
  const sleep = o.sleep ?? ((ms: number) => Bun.sleep(ms));
  const tries = o.tries ?? 5;
  const auth: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
  let throttled = false;

  /** One request, waited and retried as the box asks; the answer that is neither. */
  async function send(path: string, init: () => RequestInit): Promise<Response> {
    let unreachable = 0;
    let busy = 0;
    for (;;) {
      let res: Response;
      const req = init();
      try {
        res = await fetch(`${o.url}${path}`, { ...req, headers: { ...auth, ...(req.headers as object) } });
      } catch (e) {
        if (++unreachable >= tries)
          throw new AppError(
            'unavailable',
            `the box at ${o.url} cannot be reached (${(e as Error).message}); what was imported stays: run the same command again to go on`,
          );
        await sleep(1000 * 2 ** (unreachable - 1));
        continue;
      }
      const wait = Math.min(120, Number(res.headers.get('retry-after') ?? 5) || 5);
      if (res.status === 429) {
        if (!throttled)
          o.notice(
            `the box limits this key's requests a minute: the import waits its turn (an admin can grant the key images:import, which is not limited)`,
          );
        throttled = true;
      } else if ((res.status === 503 || res.status === 507) && ++busy <= 10) {
        o.notice(`the box is busy (${res.status}); trying again in ${wait} s`);
      } else return res;
      await res.arrayBuffer();
      await sleep(wait * 1000);
    }
  }

  const failure = async (res: Response, what: string): Promise<never> => {
    const b = (await res.json().catch(() => ({}))) as ErrorBody;
    const why = b.error?.message ?? res.statusText;
    if (res.status === 401 || res.status === 403)
      throw new AppError(
        'unauthorized',
        `the box refused the key (${res.status}): ${why} (the key goes in FOVEA_TOKEN)`,
      );
    throw new AppError('unavailable', `the box could not ${what} (${res.status}): ${why}`);
  };

  return {
    async known(hashes) {
      const out = new Set<string>();
      for (let i = 0; i < hashes.length; i += 1000) {
        const res = await send('/api/images/known', () => ({
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sha256: hashes.slice(i, i + 1000), ...(f.owner ? { owner: f.owner } : {}) }),
        }));
        if (!res.ok) await failure(res, 'say which photos it has');
        for (const h of ((await res.json()) as { known: string[] }).known) out.add(h);
      }
      return out;
    },
    async put(p) {
      const res = await send('/api/images', () => {
        const form = new FormData();
        form.append('file', new File([p.data as Uint8Array<ArrayBuffer>], p.fileName));
        if (f.tags.length) form.append('tags', f.tags.join(','));
        if (f.private) form.append('private', 'true');
        if (f.owner) form.append('owner', f.owner);
        return { method: 'POST', body: form };
      });
      if (res.ok) {
        await res.arrayBuffer();
        return;
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403) {
        const b = (await res.json().catch(() => ({}))) as ErrorBody;
        const code = b.error?.code ?? String(res.status);
        if (REFUSALS.has(code)) throw new Refused(code, b.error?.message ?? res.statusText);
        throw new AppError('unavailable', `the box refused the import (${res.status}): ${b.error?.message ?? ''}`);
      }
      await failure(res, `store ${p.fileName}`);
    },
  };
}
