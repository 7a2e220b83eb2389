/** @module /api/streams: each stream's state, rates, drops, queue and stage timings. */
import { Elysia, t } from 'elysia';
import type { Streams } from '../ingest/streams';
import { AppError, isAppError } from '../shared/errors';

export const streamsApi = (streams: Streams) =>
  new Elysia({ name: 'api-streams', prefix: '/api/streams', detail: { tags: ['streams'] } })
    .get('/', () => ({ items: streams.list() }), { detail: { summary: 'All streams with state and counters' } })
    .get(
      '/:id',
      ({ params }) => {
        const s = streams.get(params.id);
        if (!s) throw new AppError('not_found', `stream ${params.id} not found`);
        return s.view();
      },
      {
        detail: {
          summary:
            'One stream: state (connecting, running, backoff, unauthorized, failed), fps in/out, dropped, last error',
        },
      },
    )
    .patch(
      '/:id',
      async ({ params, body }) => {
        try {
          return (await streams.update(params.id, body)).view();
        } catch (e) {
          // An invalid pipeline or override is the client's request, not the box's config: 422.
          if (isAppError(e) && e.code === 'config_invalid')
            throw new AppError('validation_failed', e.message, { details: e.details });
          throw e;
        }
      },
      {
        body: t.Object({
          pipeline: t.Optional(t.String({ description: 'Another pipeline name.' })),
          overrides: t.Optional(
            t.Record(t.String(), t.Unknown(), {
              description: 'Per-run option overrides, e.g. {"detect.score": 0.5}; replaces the current ones.',
            }),
          ),
        }),
        detail: { summary: "Change a stream's pipeline or overrides at run time (not saved to the config file)" },
      },
    );
