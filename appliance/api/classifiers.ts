/**
 * @module /api/classifiers: classifiers trained on the box. Make one (a name, object or state, its
 * classes); label pictures the caller may see, whole or a box of them, one or many at once; see
 * its examples; evaluate (k-fold: accuracy, per-class precision and recall, the confusion matrix)
 * before saving; save the head (ONNX and its card). Reading needs images:read; changing,
 * images:write (an operator's).
 */
import { Elysia, t } from 'elysia';
import { AppError } from '../shared/errors';
import type { Box, Classifier, Classifiers } from '../classifiers/service';
import type { ExampleRow, InboxRow } from '../store/classifiers';
import { ownerOf, viewerOf } from './auth';

export interface ClassifiersApiDeps {
  service: Classifiers;
  list(): Promise<Classifier[]>;
  counts(name: string): Promise<Record<string, number>>;
  examples(name: string, cls: string | null, limit: number, offset: number): Promise<ExampleRow[]>;
  removeExample(name: string, id: string): Promise<boolean>;
  inbox(name: string, id?: string | null): Promise<InboxRow[]>;
  removeInbox(name: string, id: string): Promise<boolean>;
  remove(name: string): Promise<boolean>;
  /** The embedding of a picture `viewer` may see (or of a box of it). */
  embed(
    item: { source: string; id: string; box: Box | null },
    viewer: { user: string | null; admin: boolean },
  ): Promise<Float32Array>;
  /** Examples from what the box saw (see compose/classifiers exampleSources). */
  sources: {
    event(id: string): Promise<{ id: string; box: Box }>;
    review(id: string, user: string): Promise<Array<{ id: string; box: Box }>>;
    frame(name: string): Promise<{ id: string; box: Box }>;
  };
  authRequired: boolean;
}

/** Up to this many pictures are labelled by one request (a review item may give several). */
const MAX_ITEMS = 500;

const Name = t.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
  description: 'Lower case, digits, - and _; its model is custom/<name>.',
});
const ClassName = t.String({ minLength: 1, maxLength: 64, pattern: '^[^\\x00-\\x1f]+$' });
const BoxT = t.Tuple([t.Number(), t.Number(), t.Number(), t.Number()], {
  description: '[x1, y1, x2, y2] in the picture’s upright pixels.',
});
const RegionT = t.Tuple(
  [
    t.Number({ minimum: 0, maximum: 1 }),
    t.Number({ minimum: 0, maximum: 1 }),
    t.Number({ minimum: 0, maximum: 1 }),
    t.Number({ minimum: 0, maximum: 1 }),
  ],
  { description: '[x1, y1, x2, y2], 0–1 of the picture.' },
);

const view = async (d: ClassifiersApiDeps, c: Classifier) => ({
  name: c.name,
  kind: c.kind,
  classes: c.classes,
  label: c.objectLabel,
  stream: c.stream,
  region: c.region,
  embedding_model: c.modelId,
  owner: c.owner,
  created: new Date(c.created).toISOString(),
  examples: { ...Object.fromEntries(c.classes.map((k) => [k, 0])), ...(await d.counts(c.name)) },
  trained: c.trained,
});

export const classifiersApi = (d: ClassifiersApiDeps) =>
  new Elysia({ name: 'api-classifiers', prefix: '/api/classifiers', detail: { tags: ['classifiers'] } })
    .get('/', async () => ({ items: await Promise.all((await d.list()).map((c) => view(d, c))) }), {
      detail: { summary: 'Classifiers, with their examples per class and the head saved last' },
    })
    .post(
      '/',
      async ({ body, request, set }) => {
        const c = await d.service.create({
          name: body.name,
          kind: body.kind,
          classes: body.classes,
          objectLabel: body.label ?? null,
          stream: body.stream ?? null,
          region: (body.region as Box | undefined) ?? null,
          owner: ownerOf(request),
        });
        set.status = 201;
        return view(d, c);
      },
      {
        body: t.Object(
          {
            name: Name,
            kind: t.Union([t.Literal('object'), t.Literal('state')]),
            classes: t.Array(ClassName, { minItems: 2, maxItems: 20 }),
            label: t.Optional(
              t.String({ minLength: 1, maxLength: 64, description: 'object: the detected label it sub-labels.' }),
            ),
            stream: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'state: the stream.' })),
            region: t.Optional(RegionT),
          },
          { additionalProperties: false },
        ),
        detail: {
          summary: 'Make a classifier: object (a sub-label of a detected class) or state (a region of a stream)',
        },
      },
    )
    .get('/:name', async ({ params }) => view(d, await d.service.get(params.name)), {
      params: t.Object({ name: t.String({ maxLength: 64 }) }),
      detail: { summary: 'One classifier' },
    })
    .delete(
      '/:name',
      async ({ params, set }) => {
        if (!(await d.remove(params.name))) throw new AppError('not_found', `no classifier ${params.name}`);
        set.status = 204;
      },
      {
        params: t.Object({ name: t.String({ maxLength: 64 }) }),
        detail: { summary: 'Delete a classifier and its examples' },
      },
    )
    .post(
      '/:name/examples',
      async ({ params, body, request, set }) => {
        const viewer = viewerOf(request, d.authRequired);
        await d.service.get(params.name);
        const pictures: Array<{ source: 'image'; id: string; box: Box | null }> = [];
        for (const i of body.items) {
          const got =
            'image_id' in i
              ? [{ id: i.image_id, box: (i.box as Box | undefined) ?? null }]
              : 'event_id' in i
                ? [await d.sources.event(i.event_id)]
                : 'review_id' in i
                  ? await d.sources.review(i.review_id, viewer.user ?? '')
                  : [await d.sources.frame(params.name)];
          pictures.push(...got.map((g) => ({ source: 'image' as const, ...g })));
        }
        if (pictures.length > MAX_ITEMS)
          throw new AppError('validation_failed', `${pictures.length} pictures at once; at most ${MAX_ITEMS}`);
        const added = await d.service.label(
          params.name,
          body.class,
          pictures,
          (item) => d.embed(item, viewer),
          ownerOf(request),
        );
        set.status = 201;
        return { labelled: added, examples: await d.counts(params.name) };
      },
      {
        params: t.Object({ name: t.String({ maxLength: 64 }) }),
        body: t.Object(
          {
            class: ClassName,
            items: t.Array(
              t.Union([
                t.Object(
                  { image_id: t.String({ maxLength: 64 }), box: t.Optional(BoxT) },
                  { additionalProperties: false, description: 'A picture, or a box of it.' },
                ),
                t.Object(
                  { event_id: t.String({ maxLength: 64 }) },
                  { additionalProperties: false, description: "An event's object, cut from its snapshot." },
                ),
                t.Object(
                  { review_id: t.String({ maxLength: 64 }) },
                  { additionalProperties: false, description: "A review item's objects, one per tracked object." },
                ),
                t.Object(
                  { frame: t.Literal('latest') },
                  {
                    additionalProperties: false,
                    description: "A state classifier's region, cut from its stream's latest frame.",
                  },
                ),
              ]),
              { minItems: 1, maxItems: MAX_ITEMS },
            ),
          },
          { additionalProperties: false },
        ),
        detail: {
          summary:
            "Label as one class: pictures or boxes of them, events' objects, review items' objects, or a state classifier's region of the live frame; one or a selection at once",
        },
      },
    )
    .get(
      '/:name/examples',
      async ({ params, query }) => {
        await d.service.get(params.name);
        const limit = Math.min(500, Number(query.limit ?? 100) || 100);
        const offset = Math.max(0, Number(query.offset ?? 0) || 0);
        const rows = await d.examples(params.name, query.class ?? null, limit, offset);
        return {
          items: rows.map((r) => ({
            id: r.id,
            class: r.class,
            source: r.source,
            image_id: r.sourceId,
            box: r.box,
            owner: r.owner,
            created: new Date(r.created).toISOString(),
          })),
        };
      },
      {
        params: t.Object({ name: t.String({ maxLength: 64 }) }),
        query: t.Object({
          class: t.Optional(t.String({ maxLength: 64 })),
          limit: t.Optional(t.String({ maxLength: 6 })),
          offset: t.Optional(t.String({ maxLength: 9 })),
        }),
        detail: { summary: "A classifier's examples, newest first" },
      },
    )
    .delete(
      '/:name/examples/:id',
      async ({ params, set }) => {
        if (!(await d.removeExample(params.name, params.id)))
          throw new AppError('not_found', `no example ${params.id}`);
        set.status = 204;
      },
      {
        params: t.Object({ name: t.String({ maxLength: 64 }), id: t.String({ maxLength: 64 }) }),
        detail: { summary: 'Forget one example' },
      },
    )
    .get(
      '/:name/inbox',
      async ({ params }) => {
        await d.service.get(params.name);
        return {
          items: (await d.inbox(params.name)).map((r) => ({
            id: r.id,
            image_id: r.imageId,
            box: r.box,
            stream: r.stream,
            reason: r.reason,
            guess: r.guess,
            score: r.score,
            created: new Date(r.created).toISOString(),
          })),
        };
      },
      {
        params: t.Object({ name: t.String({ maxLength: 64 }) }),
        detail: { summary: 'The "to label" inbox: crops the classifier (or the detector) was unsure of, newest first' },
      },
    )
    .post(
      '/:name/inbox/:id',
      async ({ params, body, request }) => {
        const [item] = await d.inbox(params.name, params.id);
        if (!item) throw new AppError('not_found', `no inbox item ${params.id}`);
        const viewer = viewerOf(request, d.authRequired);
        await d.service.label(
          params.name,
          body.class,
          [{ source: 'image', id: item.imageId, box: item.box }],
          (it) => d.embed(it, viewer),
          ownerOf(request),
        );
        await d.removeInbox(params.name, params.id);
        return { labelled: 1, examples: await d.counts(params.name) };
      },
      {
        params: t.Object({ name: t.String({ maxLength: 64 }), id: t.String({ maxLength: 64 }) }),
        body: t.Object({ class: ClassName }, { additionalProperties: false }),
        detail: { summary: 'Label an inbox crop: it becomes an example of the class, and leaves the inbox' },
      },
    )
    .delete(
      '/:name/inbox/:id',
      async ({ params, set }) => {
        if (!(await d.removeInbox(params.name, params.id)))
          throw new AppError('not_found', `no inbox item ${params.id}`);
        set.status = 204;
      },
      {
        params: t.Object({ name: t.String({ maxLength: 64 }), id: t.String({ maxLength: 64 }) }),
        detail: { summary: 'Dismiss an inbox crop without labelling it' },
      },
    )
    .post('/:name/evaluate', async ({ params, body }) => d.service.evaluate(params.name, body?.folds), {
      params: t.Object({ name: t.String({ maxLength: 64 }) }),
      body: t.Optional(
        t.Object({ folds: t.Optional(t.Integer({ minimum: 2, maximum: 10 })) }, { additionalProperties: false }),
      ),
      detail: {
        summary:
          'k-fold evaluation of the examples now: accuracy, per-class precision and recall, confusion (nothing saved)',
      },
    })
    .post('/:name/save', async ({ params, body }) => d.service.save(params.name, body?.folds), {
      params: t.Object({ name: t.String({ maxLength: 64 }) }),
      body: t.Optional(
        t.Object({ folds: t.Optional(t.Integer({ minimum: 2, maximum: 10 })) }, { additionalProperties: false }),
      ),
      detail: {
        summary: 'Train on every example and save the head (ONNX and its card, naming the embedding model it needs)',
      },
    });
