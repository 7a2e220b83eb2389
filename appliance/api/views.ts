/**
 * @module Response shapes of images (TypeBox models, used for validation and OpenAPI) and the pure
 * functions that turn stored rows into them.
 */
import { t } from 'elysia';
import type { ImageRow } from '../store/images';
import { AppError } from '../shared/errors';

export const ImageView = t.Object({
  image_id: t.String({ format: 'uuid' }),
  image_url: t.String(),
  thumbnail_url: t.String({ description: 'JPEG, 256 px on its long side (the grid).' }),
  preview_url: t.String({ description: 'JPEG, 1280 px on its long side (the preview pane).' }),
  sha256: t.Nullable(t.String({ description: 'Of the file as uploaded (what an import skips by).' })),
  file_name: t.Nullable(t.String()),
  mime: t.String(),
  size_bytes: t.Number(),
  width: t.Integer(),
  height: t.Integer(),
  name: t.Nullable(t.String()),
  description: t.Nullable(t.String()),
  tags: t.Array(t.String()),
  taken_at: t.Nullable(t.String()),
  camera_model: t.Nullable(t.String()),
  model_id: t.String(),
  created_at: t.String(),
  updated_at: t.String(),
  owner: t.String({ description: "A user's id, or `box` for the box's own images." }),
  owner_name: t.String({ description: "The owner's user name (`box`, or an id whose user is gone)." }),
  private: t.Boolean({ description: 'Seen only by its owner and admins.' }),
  exif: t.Nullable(
    t.Object(
      {
        taken_at: t.Nullable(t.String()),
        taken_local: t.Nullable(t.String({ description: "The camera's clock as written." })),
        taken_offset: t.Nullable(t.String({ description: 'Its offset from UTC, e.g. +02:00.' })),
        camera_model: t.Nullable(t.String()),
        make: t.Nullable(t.String()),
        model: t.Nullable(t.String()),
        lens: t.Nullable(t.String()),
        exposure_s: t.Nullable(t.Number()),
        f_number: t.Nullable(t.Number()),
        focal_length_mm: t.Nullable(t.Number()),
        iso: t.Nullable(t.Number()),
        orientation: t.Nullable(t.Number()),
        gps: t.Nullable(t.Object({ lat: t.Number(), lon: t.Number(), alt: t.Nullable(t.Number()) })),
      },
      { description: 'What the photo says of itself (null for images registered before EXIF was kept).' },
    ),
  ),
});
export type ImageView = typeof ImageView.static;

export const SearchResult = t.Object({
  image_id: t.String(),
  image_url: t.String(),
  thumbnail_url: t.String(),
  similarity_score: t.Number(),
  metadata: t.Object({
    name: t.Nullable(t.String()),
    description: t.Nullable(t.String()),
    tags: t.Array(t.String()),
    created_at: t.String(),
  }),
});

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** Presigned bucket URLs by local storage key, for images already uploaded (empty when sync is off). */
export type RemoteUrls = Map<string, string>;

/** A user's name by id (the owner of an image); an unknown id is shown as it is. */
export type NameOf = (owner: string) => string;

export function imageView(
  r: ImageRow,
  base: string,
  remote: RemoteUrls = new Map(),
  nameOf: NameOf = (o) => o,
): ImageView {
  return {
    image_id: r.id,
    image_url: remote.get(r.storage_key) ?? `${base}/api/images/${r.id}/file`,
    thumbnail_url: `${base}/api/images/${r.id}/thumbnail`,
    preview_url: `${base}/api/images/${r.id}/preview`,
    sha256: r.sha256,
    file_name: r.file_name,
    mime: r.mime,
    size_bytes: Number(r.size_bytes),
    width: r.width,
    height: r.height,
    name: r.name,
    description: r.description,
    tags: [...r.tags],
    taken_at: iso(r.taken_at),
    camera_model: r.camera_model,
    model_id: r.model_id,
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
    owner: r.owner,
    owner_name: nameOf(r.owner),
    private: r.private,
    exif: r.exif ? JSON.parse(r.exif) : null,
  };
}

export function searchResult(
  r: ImageRow,
  score: number,
  base: string,
  remote: RemoteUrls = new Map(),
): typeof SearchResult.static {
  const v = imageView(r, base, remote);
  return {
    image_id: v.image_id,
    image_url: v.image_url,
    thumbnail_url: v.thumbnail_url,
    similarity_score: Math.round(score * 1e6) / 1e6,
    metadata: { name: v.name, description: v.description, tags: v.tags, created_at: v.created_at },
  };
}

/** Tags from a form or query: repeated fields or one comma-separated string; trimmed, unique. */
export function parseTags(raw: string | string[] | undefined): string[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return [
    ...new Set(
      list
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

/** An ISO date or date-time, or undefined; throws a readable message otherwise. */
export function parseDate(raw: string | undefined, field: string): Date | undefined {
  if (raw === undefined || raw === '') return undefined;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new AppError('validation_failed', `${field}: '${raw}' is not an ISO 8601 date`);
  return d;
}

/** A JSON request body, or a clear error: another content type is 415, JSON that does not parse 422. */
export async function jsonBody(request: Request): Promise<unknown> {
  if (!(request.headers.get('content-type') ?? '').startsWith('application/json'))
    throw new AppError('unsupported_media_type', 'send application/json');
  try {
    return await request.json();
  } catch {
    throw new AppError('validation_failed', 'the body is not valid JSON');
  }
}

/** The tag event snapshots carry. */
export const SNAPSHOT_TAG = 'snapshot';

/**
 * What the library shows of event snapshots: they belong to events, so they are left out unless
 * asked for (`include`: with the photos; `only`: the snapshots alone), or a tag filter names them.
 */
export function snapshotFilter(
  v: string | undefined,
  tags: string[] | undefined,
): { tags?: string[]; withoutTags?: string[] } {
  if (v !== undefined && v !== 'include' && v !== 'only' && v !== 'exclude')
    throw new AppError('validation_failed', 'snapshots: include, only or exclude', { details: { field: 'snapshots' } });
  if (v === 'only') return { tags: [...(tags ?? []), SNAPSHOT_TAG] };
  if (v === 'include' || tags?.includes(SNAPSHOT_TAG)) return {};
  return { withoutTags: [SNAPSHOT_TAG] };
}
