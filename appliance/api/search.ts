/**
 * @module POST /api/search: by an uploaded image (multipart `file`) or a registered one (JSON
 * `{image_id}`, which is left out of its own answer), with limit, a minimum similarity and
 * tag/date filters. Event snapshots are left out unless asked for (`snapshots`), and exact copies
 * (one sha256) are answered once, at their best score.
 */
import { Elysia, t } from 'elysia';
import type { ImageService, SearchQuery } from '../images/service';
import { AppError } from '../shared/errors';
import { parseDate, parseTags, searchResult, SearchResult, snapshotFilter, type RemoteUrls } from './views';
import { uploadedBytes } from './images';
import { viewerOf } from './auth';

export interface SearchDeps {
  images: ImageService;
  maxUploadBytes: number;
  exactBelow: number;
  baseUrl: (req: Request) => string;
  remoteUrls: (storageKeys: string[]) => Promise<RemoteUrls>;
  /** api.auth: without it every caller sees everything. */
  authRequired: boolean;
}

const num = (v: unknown, field: string, min: number, max: number, dflt: number): number => {
  if (v === undefined || v === '') return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new AppError('validation_failed', `${field}: expected a number from ${min} to ${max}`);
  return n;
};

export const searchApi = (d: SearchDeps) =>
  new Elysia({ name: 'api-search', detail: { tags: ['search'] } }).post(
    '/api/search',
    async ({ body, request }) => {
      const limit = Math.floor(num(body.limit, 'limit', 1, 100, 10));
      const threshold = num(body.threshold, 'threshold', -1, 1, -1);
      let q: SearchQuery;
      if (body.file !== undefined) {
        q = { kind: 'file', data: (await uploadedBytes(body.file, d.maxUploadBytes)).data };
      } else if (typeof body.image_id === 'string' && body.image_id) {
        q = { kind: 'id', id: body.image_id };
      } else {
        throw new AppError('validation_failed', 'give either a file (multipart) or an image_id');
      }
      const tags = parseTags(body.tags);
      const filters = {
        tags,
        ...snapshotFilter(body.snapshots, tags),
        from: parseDate(body.from, 'from'),
        to: parseDate(body.to, 'to'),
        viewer: viewerOf(request, d.authRequired),
        // A search by a photo of the library does not answer with that photo.
        ...(q.kind === 'id' && { notIds: [q.id] }),
      };
      // Twice the candidates: exact copies (one sha256) are collapsed to their best, then cut.
      const hits = await d.images.search(q, {
        limit: Math.min(200, limit * 2),
        threshold,
        filters,
        exactBelow: d.exactBelow,
      });
      const seen = new Set<string>();
      const distinct = hits
        .filter((h) => {
          const key = h.row.sha256 ?? h.row.id;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        })
        .slice(0, limit);
      const base = d.baseUrl(request);
      const remote = await d.remoteUrls(distinct.map((h) => h.row.storage_key));
      return { results: distinct.map((h) => searchResult(h.row, h.score, base, remote)) };
    },
    {
      body: t.Object({
        file: t.Optional(t.Any({ description: 'Query image (multipart).' })),
        image_id: t.Optional(t.String({ description: 'Or the id of a registered image (JSON).' })),
        limit: t.Optional(t.Union([t.Number(), t.String()], { description: '1..100, default 10.' })),
        threshold: t.Optional(t.Union([t.Number(), t.String()], { description: 'Minimum cosine similarity, -1..1.' })),
        tags: t.Optional(
          t.Union([t.String(), t.Array(t.String())], { description: 'Only images with all these tags.' }),
        ),
        from: t.Optional(t.String()),
        to: t.Optional(t.String()),
        snapshots: t.Optional(t.String({ description: 'Event snapshots: exclude (default), include, or only.' })),
      }),
      response: t.Object({ results: t.Array(SearchResult) }),
      detail: { summary: 'Find the most similar images, best first' },
    },
  );
