/**
 * @module /api/images: register (multipart), list with filters and pages, get, original file,
 * thumbnail, change (one, or many by ids or filter), delete. Each image has an owner; a private one
 * is seen by its owner and admins only, and for anyone else it does not exist (404, never 403).
 */
import { Elysia, t } from 'elysia';
import type { ImageService } from '../images/service';
import { AppError } from '../shared/errors';
import {
  ImageView,
  imageView,
  jsonBody,
  parseDate,
  parseTags,
  snapshotFilter,
  type NameOf,
  type RemoteUrls,
} from './views';
import { ownerOf, viewerOf } from './auth';
import type { Filters, ImageChange } from '../store/images';

/** What a bulk change may select by. */
const BULK_FILTER_KEYS = ['tag', 'from', 'to', 'owner', 'private'];
export interface ImagesDeps {
  images: ImageService;
  maxUploadBytes: number;
  baseUrl: (req: Request) => string;
  /** Presigned bucket URLs of uploaded originals (sync on); absent keys keep the local URL. */
  remoteUrls: (storageKeys: string[]) => Promise<RemoteUrls>;
  /** api.auth: without it every caller sees everything. */
  authRequired: boolean;
  /** An owner's user name. */
  nameOf?: NameOf;
  /** A user's id by name (an admin registering for someone else), or null. */
  idOf?: (name: string) => string | null;
}

/**
 * Whose an upload is: the caller's own, or (for an admin: an import on someone's behalf) the user
 * named. Naming yourself is always allowed; naming someone else needs the admin role.
 */
function ownerNamed(d: ImagesDeps, req: Request, name: string | undefined): string {
  const own = ownerOf(req);
  if (name === undefined || name === '') return own;
  const id = name === 'box' ? 'box' : d.idOf?.(name);
  if (!id) throw new AppError('validation_failed', `owner: no user ${name}`, { details: { field: 'owner' } });
  if (id !== own && !viewerOf(req, d.authRequired).admin)
    throw new AppError('forbidden', 'only an admin registers images for someone else');
  return id;
}

const SHA256 = /^[0-9a-f]{64}$/;

const bool = (v: unknown, field: string): boolean | undefined => {
  if (v === undefined || v === '') return undefined;
  if (v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  throw new AppError('validation_failed', `${field}: true or false`, { details: { field } });
};

const TEXT_FIELDS = { name: 500, description: 5000 } as const;

/** A PATCH body as a change, every field checked; unknown fields are refused. */
export function changeOf(body: unknown, allowed: readonly string[]): ImageChange {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new AppError('validation_failed', 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (!allowed.includes(k))
      throw new AppError('validation_failed', `${k}: not a field that can be changed here (${allowed.join(', ')})`, {
        details: { field: k },
      });
  const c: ImageChange = {};
  for (const [k, max] of Object.entries(TEXT_FIELDS) as Array<[keyof typeof TEXT_FIELDS, number]>) {
    if (!(k in b)) continue;
    const v = b[k];
    if (v !== null && (typeof v !== 'string' || v.length > max))
      throw new AppError('validation_failed', `${k}: text of at most ${max} characters, or null`, {
        details: { field: k },
      });
    c[k] = v === null ? null : (v as string).trim() || null;
  }
  const tagList = (k: string) => {
    const v = b[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) && typeof v !== 'string')
      throw new AppError('validation_failed', `${k}: a list of tags`, { details: { field: k } });
    const tags = parseTags(v as string | string[]);
    if (tags.length > 50 || tags.some((t) => t.length > 200))
      throw new AppError('validation_failed', `${k}: at most 50 tags of 200 characters`, { details: { field: k } });
    return tags;
  };
  c.tags = tagList('tags');
  c.addTags = tagList('add_tags');
  c.removeTags = tagList('remove_tags');
  c.private = bool(b.private, 'private');
  for (const k of Object.keys(c) as Array<keyof ImageChange>) if (c[k] === undefined) delete c[k];
  if (!Object.keys(c).length) throw new AppError('validation_failed', 'nothing to change');
  return c;
}

const Tags = t.Optional(
  t.Union([t.String({ maxLength: 2000 }), t.Array(t.String({ maxLength: 200 }), { maxItems: 50 })]),
);

/** The uploaded file of a multipart body, checked for presence and size. */
export async function uploadedBytes(file: unknown, max: number): Promise<{ data: Uint8Array; name: string | null }> {
  if (!(file instanceof Blob)) throw new AppError('validation_failed', 'file: a file part named "file" is required');
  if (file.size > max)
    throw new AppError('payload_too_large', `the file is ${file.size} bytes, over the limit of ${max}`, {
      details: { max_bytes: max },
    });
  const name = file instanceof File && file.name ? file.name : null;
  return { data: new Uint8Array(await file.arrayBuffer()), name };
}

/** The local copy, or a redirect to its presigned bucket URL once retention has deleted it. */
async function fileResponse(d: ImagesDeps, key: string, type: string): Promise<Response> {
  try {
    return new Response(await d.images.open(key), {
      headers: {
        'content-type': type,
        'cache-control': 'private, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      },
    });
  } catch (e) {
    const url = (await d.remoteUrls([key])).get(key);
    if (!url) throw e;
    return new Response(null, { status: 302, headers: { location: url, 'cache-control': 'no-store' } });
  }
}

export const imagesApi = (d: ImagesDeps) =>
  new Elysia({ name: 'api-images', prefix: '/api/images', detail: { tags: ['images'] } })
    .post(
      '/',
      async ({ body, request, set }) => {
        const { data, name: fileName } = await uploadedBytes(body.file, d.maxUploadBytes);
        const row = await d.images.register({
          data,
          fileName,
          name: body.name ?? null,
          description: body.description ?? null,
          tags: parseTags(body.tags),
          owner: ownerNamed(d, request, body.owner),
          private: bool(body.private, 'private') ?? false,
        });
        set.status = 201;
        return imageView(row, d.baseUrl(request), undefined, d.nameOf);
      },
      {
        type: 'multipart/form-data',
        body: t.Object({
          file: t.Optional(t.Any({ description: 'JPEG, PNG or WebP image; checked by content, not name.' })),
          name: t.Optional(t.String({ maxLength: 500 })),
          description: t.Optional(t.String({ maxLength: 5000 })),
          tags: Tags,
          private: t.Optional(t.String({ description: 'true: seen only by you and admins.' })),
          owner: t.Optional(
            t.String({ maxLength: 200, description: 'A user name: whose it is (an admin only, for someone else).' }),
          ),
        }),
        response: { 201: ImageView },
        detail: {
          summary: 'Register an image',
          description: 'Stores the original and a thumbnail, extracts EXIF, embeds it and indexes it.',
        },
      },
    )
    .post(
      '/known',
      async ({ body, request }) => {
        const bad = body.sha256.find((h) => !SHA256.test(h));
        if (bad)
          throw new AppError('validation_failed', `sha256: ${bad.slice(0, 80)} is not 64 lowercase hex digits`, {
            details: { field: 'sha256' },
          });
        const owner = ownerNamed(d, request, body.owner);
        return { owner, known: await d.images.known(owner, body.sha256) };
      },
      {
        body: t.Object(
          {
            sha256: t.Array(t.String({ maxLength: 64 }), { maxItems: 1000 }),
            owner: t.Optional(t.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: t.Object({ owner: t.String(), known: t.Array(t.String()) }),
        detail: {
          summary: 'Which of these files (by sha256) an owner already has',
          description: 'What a bulk import asks before it uploads, so that running it again skips what is in.',
        },
      },
    )
    .get(
      '/',
      async ({ query, request }) => {
        const page = query.page ?? 1;
        const limit = query.limit ?? 20;
        const tag = parseTags(query.tag);
        const viewer = viewerOf(request, d.authRequired);
        const { items, total } = await d.images.list(
          {
            tags: tag,
            ...snapshotFilter(query.snapshots, tag),
            from: parseDate(query.from, 'from'),
            to: parseDate(query.to, 'to'),
            viewer,
            owner: query.owner === 'mine' ? ownerOf(request) : query.owner,
            private: bool(query.private, 'private'),
            camera: query.camera || undefined,
            text: query.text || undefined,
            takenFrom: parseDate(query.taken_from, 'taken_from'),
            takenTo: parseDate(query.taken_to, 'taken_to'),
            hasGps: bool(query.has_gps, 'has_gps'),
          },
          page,
          limit,
          query.sort === 'taken' ? 'taken' : 'uploaded',
        );
        const remote = await d.remoteUrls(items.map((r) => r.storage_key));
        return { items: items.map((r) => imageView(r, d.baseUrl(request), remote, d.nameOf)), page, limit, total };
      },
      {
        query: t.Object({
          page: t.Optional(t.Integer({ minimum: 1, maximum: 1_000_000 })),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
          tag: Tags,
          from: t.Optional(t.String({ description: 'ISO 8601: created at or after.' })),
          to: t.Optional(t.String({ description: 'ISO 8601: created at or before.' })),
          owner: t.Optional(
            t.String({ maxLength: 200, description: '`mine`, or an owner id (`box`: the box’s own).' }),
          ),
          private: t.Optional(t.String({ description: 'true: only private images; false: only shared ones.' })),
          camera: t.Optional(t.String({ maxLength: 200, description: 'Camera make or model containing this text.' })),
          text: t.Optional(
            t.String({
              maxLength: 200,
              description: 'Text read in the photo (a run with ocr@1 over it) containing this, any case.',
            }),
          ),
          taken_from: t.Optional(t.String({ description: 'ISO 8601: taken at or after.' })),
          taken_to: t.Optional(t.String({ description: 'ISO 8601: taken at or before.' })),
          has_gps: t.Optional(t.String({ description: 'true: only photos with a location; false: only without.' })),
          snapshots: t.Optional(t.String({ description: 'Event snapshots: exclude (default), include, or only.' })),
          sort: t.Optional(
            t.Union([t.Literal('uploaded'), t.Literal('taken')], {
              description: 'Newest first by upload (default) or by when taken.',
            }),
          ),
        }),
        response: t.Object({ items: t.Array(ImageView), page: t.Integer(), limit: t.Integer(), total: t.Integer() }),
        detail: { summary: 'List images, newest first' },
      },
    )
    .get(
      '/:id',
      async ({ params, request }) => {
        const row = await d.images.get(params.id, viewerOf(request, d.authRequired));
        return imageView(row, d.baseUrl(request), await d.remoteUrls([row.storage_key]), d.nameOf);
      },
      {
        response: ImageView,
        detail: { summary: 'One image' },
      },
    )
    .get(
      '/:id/file',
      async ({ params, request }) => {
        const row = await d.images.get(params.id, viewerOf(request, d.authRequired));
        return fileResponse(d, row.storage_key, row.mime);
      },
      { detail: { summary: 'The original file (a redirect to the bucket when retention removed the local copy)' } },
    )
    .get(
      '/:id/thumbnail',
      async ({ params, request }) => {
        const row = await d.images.get(params.id, viewerOf(request, d.authRequired));
        return fileResponse(d, row.thumb_key, 'image/jpeg');
      },
      { detail: { summary: 'A JPEG thumbnail, 256 px on its long side' } },
    )
    .get(
      '/:id/preview',
      async ({ params, request }) => {
        const row = await d.images.get(params.id, viewerOf(request, d.authRequired));
        // Images registered before previews existed have none: their original serves.
        return row.preview_key
          ? fileResponse(d, row.preview_key, 'image/jpeg')
          : fileResponse(d, row.storage_key, row.mime);
      },
      { detail: { summary: 'A JPEG preview, 1280 px on its long side, upright' } },
    )
    .patch(
      '/:id',
      async ({ params, request }) => {
        const viewer = viewerOf(request, d.authRequired);
        const change = changeOf(await jsonBody(request), [
          'name',
          'description',
          'tags',
          'add_tags',
          'remove_tags',
          'private',
        ]);
        const row = await d.images.change(params.id, change, viewer);
        return imageView(row, d.baseUrl(request), await d.remoteUrls([row.storage_key]), d.nameOf);
      },
      {
        parse: 'none',
        detail: {
          summary: 'Change an image’s name, description, tags (replace, add, remove) or privacy; the id stays',
        },
      },
    )
    .patch(
      '/',
      async ({ request }) => {
        const viewer = viewerOf(request, d.authRequired);
        const body = (await jsonBody(request)) as Record<string, unknown> | null;
        const { ids, filter, ...rest } = body && typeof body === 'object' ? body : ({} as Record<string, unknown>);
        const change = changeOf(rest, ['tags', 'add_tags', 'remove_tags', 'private']);
        if ((ids === undefined) === (filter === undefined))
          throw new AppError('validation_failed', 'give either ids (a list) or filter (tag, from, to, owner, private)');
        let selected: Omit<Filters, 'viewer'>;
        if (ids !== undefined) {
          if (!Array.isArray(ids) || ids.length > 1000 || ids.some((x) => typeof x !== 'string'))
            throw new AppError('validation_failed', 'ids: a list of at most 1000 image ids', {
              details: { field: 'ids' },
            });
          selected = { ids: ids as string[] };
        } else {
          const f = (filter ?? {}) as Record<string, unknown>;
          if (typeof f !== 'object' || Array.isArray(f))
            throw new AppError('validation_failed', 'filter: an object of tag, from, to, owner, private');
          // A misspelt key would select every visible image: an unknown one is refused instead.
          const unknown = Object.keys(f).filter((k) => !BULK_FILTER_KEYS.includes(k));
          if (unknown.length)
            throw new AppError(
              'validation_failed',
              `filter: unknown key ${unknown.join(', ')} (known: ${BULK_FILTER_KEYS.join(', ')})`,
              { details: { field: 'filter', unknown } },
            );
          selected = {
            tags: parseTags(f.tag as string | string[] | undefined),
            from: parseDate(f.from as string | undefined, 'from'),
            to: parseDate(f.to as string | undefined, 'to'),
            owner: f.owner === 'mine' ? ownerOf(request) : (f.owner as string | undefined),
            private: bool(f.private, 'private'),
          };
        }
        const changed = await d.images.changeMany({ ...selected, viewer }, change);
        return { changed: changed.length, ids: changed };
      },
      {
        parse: 'none',
        detail: {
          summary: 'Change tags or privacy of many images at once: by ids, or by a filter',
          description:
            'JSON: `ids` (up to 1000) or `filter` ({tag, from, to, owner, private}), and any of `tags`, `add_tags`, `remove_tags`, `private`. Only images the caller can see change.',
        },
      },
    )
    .delete(
      '/:id',
      async ({ params, set, request }) => {
        await d.images.delete(params.id, viewerOf(request, d.authRequired));
        set.status = 204;
        return null;
      },
      { detail: { summary: 'Delete an image: its vector, row and files' } },
    );
