/**
 * @module /api/images: register (multipart), list with filters and pages, get, original file,
 * thumbnail, delete.
 */
import { Elysia, t } from 'elysia';
import type { ImageService } from '../images/service';
import { AppError } from '../shared/errors';
import { ImageView, imageView, parseDate, parseTags, type RemoteUrls } from './views';

export interface ImagesDeps {
  images: ImageService;
  maxUploadBytes: number;
  baseUrl: (req: Request) => string;
  /** Presigned bucket URLs of uploaded originals (sync on); absent keys keep the local URL. */
  remoteUrls: (storageKeys: string[]) => Promise<RemoteUrls>;
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
        });
        set.status = 201;
        return imageView(row, d.baseUrl(request));
      },
      {
        type: 'multipart/form-data',
        body: t.Object({
          file: t.Optional(t.Any({ description: 'JPEG, PNG or WebP image; checked by content, not name.' })),
          name: t.Optional(t.String({ maxLength: 500 })),
          description: t.Optional(t.String({ maxLength: 5000 })),
          tags: Tags,
        }),
        response: { 201: ImageView },
        detail: {
          summary: 'Register an image',
          description: 'Stores the original and a thumbnail, extracts EXIF, embeds it and indexes it.',
        },
      },
    )
    .get(
      '/',
      async ({ query, request }) => {
        const page = query.page ?? 1;
        const limit = query.limit ?? 20;
        const tag = parseTags(query.tag);
        const { items, total } = await d.images.list(
          { tags: tag, from: parseDate(query.from, 'from'), to: parseDate(query.to, 'to') },
          page,
          limit,
        );
        const remote = await d.remoteUrls(items.map((r) => r.storage_key));
        return { items: items.map((r) => imageView(r, d.baseUrl(request), remote)), page, limit, total };
      },
      {
        query: t.Object({
          page: t.Optional(t.Integer({ minimum: 1, maximum: 1_000_000 })),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
          tag: Tags,
          from: t.Optional(t.String({ description: 'ISO 8601: created at or after.' })),
          to: t.Optional(t.String({ description: 'ISO 8601: created at or before.' })),
        }),
        response: t.Object({ items: t.Array(ImageView), page: t.Integer(), limit: t.Integer(), total: t.Integer() }),
        detail: { summary: 'List images, newest first' },
      },
    )
    .get(
      '/:id',
      async ({ params, request }) => {
        const row = await d.images.get(params.id);
        return imageView(row, d.baseUrl(request), await d.remoteUrls([row.storage_key]));
      },
      {
        response: ImageView,
        detail: { summary: 'One image' },
      },
    )
    .get(
      '/:id/file',
      async ({ params }) => {
        const row = await d.images.get(params.id);
        return fileResponse(d, row.storage_key, row.mime);
      },
      { detail: { summary: 'The original file (a redirect to the bucket when retention removed the local copy)' } },
    )
    .get(
      '/:id/thumbnail',
      async ({ params }) => {
        const row = await d.images.get(params.id);
        return fileResponse(d, row.thumb_key, 'image/jpeg');
      },
      { detail: { summary: 'A JPEG thumbnail, 256 px on its long side' } },
    )
    .delete(
      '/:id',
      async ({ params, set }) => {
        await d.images.delete(params.id);
        set.status = 204;
        return null;
      },
      { detail: { summary: 'Delete an image: its vector, row and files' } },
    );
