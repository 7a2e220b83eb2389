/**
 * @module /api/review: review items (grouped activity of a stream), alerts and detections apart,
 * unreviewed first, with filters; marking items reviewed per user (some, or all a filter matches);
 * keeping an item's recording for ever; and an item's clip.
 */
import { Elysia, t } from 'elysia';
import { AppError } from '../shared/errors';
import type { ItemQuery, StoredItem } from '../store/recordings';
import { clipResponse, itemSpan, timeOf, type RecordingsPort } from './recordings';
import { ownerOf } from './auth';

export interface ReviewDeps {
  list(q: ItemQuery): Promise<StoredItem[]>;
  get(id: string, user: string): Promise<StoredItem | null>;
  markReviewed(ids: string[], user: string, reviewed: boolean): Promise<void>;
  setKeep(id: string, keep: boolean): Promise<boolean>;
  recordings: RecordingsPort;
  roll(stream: string): { pre_s: number; post_s: number } | null;
  baseUrl(req: Request): string;
}

const Filters = {
  stream: t.Optional(t.String({ maxLength: 64 })),
  severity: t.Optional(t.Union([t.Literal('alert'), t.Literal('detection')])),
  label: t.Optional(t.String({ maxLength: 64 })),
  sub_label: t.Optional(
    t.String({ maxLength: 64, description: "Items with an object of this sub-label (a classifier's class)." }),
  ),
  zone: t.Optional(t.String({ maxLength: 64 })),
  after: t.Optional(t.String({ maxLength: 40, description: 'Items that end after this (epoch ms or ISO 8601).' })),
  before: t.Optional(t.String({ maxLength: 40, description: 'Items that start before this.' })),
  reviewed: t.Optional(
    t.BooleanString({ description: 'Only items the caller has (true) or has not (false) reviewed.' }),
  ),
};
type FilterQuery = { [K in keyof typeof Filters]?: (typeof Filters)[K]['static'] };

const queryOf = (q: FilterQuery, user: string, limit: number): ItemQuery => ({
  user,
  stream: q.stream,
  severity: q.severity,
  label: q.label,
  subLabel: q.sub_label,
  zone: q.zone,
  after: q.after ? timeOf(q.after, 'after') : undefined,
  before: q.before ? timeOf(q.before, 'before') : undefined,
  reviewed: q.reviewed,
  limit,
});

/** An item as the API shows it: times in ISO 8601, links to its thumbnail and clip. */
export function itemView(it: StoredItem, base: string) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    ...it,
    start: iso(it.start),
    end: it.end === null ? null : iso(it.end),
    thumb_url: it.thumb ? `${base}/api/images/${it.thumb}/thumbnail` : null,
    clip_url: `${base}/api/review/${it.id}/clip.mp4`,
  };
}

export const reviewApi = (d: ReviewDeps) =>
  new Elysia({ name: 'api-review', prefix: '/api/review', detail: { tags: ['review'] } })
    .get(
      '/',
      async ({ query, request }) => {
        const items = await d.list(queryOf(query, ownerOf(request), query.limit ?? 100));
        return { items: items.map((it) => itemView(it, d.baseUrl(request))) };
      },
      {
        query: t.Object({ ...Filters, limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })) }),
        detail: { summary: 'Review items, unreviewed first, newest first' },
      },
    )
    .post(
      '/reviewed',
      async ({ body, request }) => {
        const user = ownerOf(request);
        const reviewed = body.reviewed ?? true;
        let ids = body.ids ?? [];
        if (body.all) ids = (await d.list(queryOf(body.all, user, 100_000))).map((it) => it.id);
        else if (!ids.length)
          throw new AppError('validation_failed', 'give ids, or all with the filters of the items to mark');
        await d.markReviewed(ids, user, reviewed);
        return { marked: ids.length, reviewed };
      },
      {
        body: t.Object(
          {
            ids: t.Optional(t.Array(t.String({ format: 'uuid' }), { maxItems: 1000 })),
            all: t.Optional(t.Object(Filters, { additionalProperties: false })),
            reviewed: t.Optional(t.Boolean()),
          },
          { additionalProperties: false },
        ),
        detail: { summary: 'Mark items reviewed (or not) for the caller: by id, or all that match filters' },
      },
    )
    .get(
      '/:id',
      async ({ params, request }) => {
        const it = await d.get(params.id, ownerOf(request));
        if (!it) throw new AppError('not_found', `review item ${params.id} not found`);
        return itemView(it, d.baseUrl(request));
      },
      { params: t.Object({ id: t.String({ format: 'uuid' }) }), detail: { summary: 'One review item' } },
    )
    .patch(
      '/:id',
      async ({ params, body, request }) => {
        if (!(await d.setKeep(params.id, body.keep)))
          throw new AppError('not_found', `review item ${params.id} not found`);
        return itemView((await d.get(params.id, ownerOf(request)))!, d.baseUrl(request));
      },
      {
        params: t.Object({ id: t.String({ format: 'uuid' }) }),
        body: t.Object(
          { keep: t.Boolean({ description: 'Keep its recording for ever (retention never deletes it).' }) },
          { additionalProperties: false },
        ),
        detail: { summary: "Keep an item's recording for ever, or let retention have it again" },
      },
    )
    .get(
      '/:id/clip.mp4',
      async ({ params, query, request }) => {
        const it = await d.get(params.id, ownerOf(request));
        if (!it) throw new AppError('not_found', `review item ${params.id} not found`);
        const roll = d.roll(it.stream);
        if (!roll) throw new AppError('not_found', `stream ${it.stream} of item ${params.id} is not on this box`);
        const span = itemSpan(it, roll, Date.now());
        return clipResponse(
          request,
          it.stream,
          await d.recordings.clip(it.stream, span.start, span.end),
          !!query.download,
        );
      },
      {
        params: t.Object({ id: t.String({ format: 'uuid' }) }),
        query: t.Object({ download: t.Optional(t.BooleanString()) }),
        detail: { summary: "An item's clip with its stream's pre- and post-roll (stream copy, Range requests)" },
      },
    );
