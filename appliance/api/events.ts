/** @module /api/events: object events from video, newest first, with their snapshot links. */
import { Elysia, t } from 'elysia';
import type { Db } from '../store/duckdb';
import { getEvent, listEvents } from '../store/results';
import { eventView } from '../publish/envelope';
import { AppError } from '../shared/errors';
import { parseDate } from './views';
import { hiddenFrom, type Viewer } from '../store/images';
import type { EventRow } from '../contracts/results';
import { viewerOf } from './auth';

/** Events as `req`'s caller may see them: the snapshot of a private image of someone else is left out. */
async function visibleTo(db: Db, req: Request, authRequired: boolean, rows: EventRow[]): Promise<EventRow[]> {
  const ids = [...new Set(rows.flatMap((r) => (r.image_id ? [r.image_id] : [])))];
  const hidden = await hiddenFrom(db, ids, viewerOf(req, authRequired));
  return rows.map((r) => (r.image_id && hidden.has(r.image_id) ? { ...r, image_id: null, snapshot_key: null } : r));
}

/** Which runs' events a caller may not see (other users' private runs), as streams `run:<id>`. */
export type HiddenRuns = (viewer: Viewer) => string[];

export const eventsApi = (db: Db, baseUrl: (r: Request) => string, authRequired = true, hiddenRuns?: HiddenRuns) =>
  new Elysia({ name: 'api-events', prefix: '/api/events', detail: { tags: ['events'] } })
    .get(
      '/',
      async ({ query, request }) => {
        const page = query.page ?? 1;
        const limit = query.limit ?? 50;
        const { items, total } = await listEvents(
          db,
          {
            image_id: query.image_id,
            stream: query.stream,
            label: query.label,
            type: query.type,
            zone: query.zone,
            line: query.line,
            text: query.text,
            textFuzzy: query.text_fuzzy,
            from: parseDate(query.from, 'from'),
            to: parseDate(query.to, 'to'),
            hiddenStreams: hiddenRuns
              ? hiddenRuns(viewerOf(request, authRequired)).map((id) => `run:${id}`)
              : undefined,
          },
          page,
          limit,
        );
        const shown = await visibleTo(db, request, authRequired, items);
        return { items: shown.map((r) => eventView(r, baseUrl(request))), page, limit, total };
      },
      {
        query: t.Object({
          image_id: t.Optional(t.String({ maxLength: 64, description: 'The event whose snapshot this image is.' })),
          stream: t.Optional(t.String()),
          label: t.Optional(t.String()),
          type: t.Optional(t.String({ description: 'enter, leave, cross, dwell, count, state' })),
          zone: t.Optional(t.String({ description: 'Events of this zone (enter, leave, dwell).' })),
          line: t.Optional(t.String({ description: 'Crossings of this line.' })),
          text: t.Optional(
            t.String({
              minLength: 1,
              maxLength: 64,
              description:
                'Events of objects whose read text (a plate) is this, as plates compare: NA52 BUU is na52buu.',
            }),
          ),
          text_fuzzy: t.Optional(
            t.Integer({ minimum: 0, maximum: 3, description: 'text: up to this many edited characters (default 0).' }),
          ),
          from: t.Optional(t.String()),
          to: t.Optional(t.String()),
          page: t.Optional(t.Integer({ minimum: 1, maximum: 1_000_000 })),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 500 })),
        }),
        detail: { summary: 'Events, newest first' },
      },
    )
    .get(
      '/:id',
      async ({ params, request }) => {
        const r = await getEvent(db, params.id);
        const hidden =
          r?.stream.startsWith('run:') && hiddenRuns ? await hiddenRuns(viewerOf(request, authRequired)) : [];
        if (!r || hidden.includes(r.stream.slice('run:'.length)))
          throw new AppError('not_found', `event ${params.id} not found`);
        return eventView((await visibleTo(db, request, authRequired, [r]))[0]!, baseUrl(request));
      },
      { detail: { summary: 'One event with its snapshot URL' } },
    );
