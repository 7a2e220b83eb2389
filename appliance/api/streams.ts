/** @module /api/streams: each stream's state, rates, drops, queue and stage timings. */
import { Elysia } from 'elysia';
import type { Streams } from '../ingest/streams';
import { AppError } from '../shared/errors';

export const streamsApi = (streams: Streams) =>
  new Elysia({ name: 'api-streams', prefix: '/api/streams', detail: { tags: ['streams'] } })
    .get('/', () => ({ items: streams.list() }), { detail: { summary: 'All streams with state and counters' } })
    .get('/:id', ({ params }) => {
      const s = streams.get(params.id);
      if (!s) throw new AppError('not_found', `stream ${params.id} not found`);
      return s.view();
    }, { detail: { summary: 'One stream: state (connecting, running, backoff, unauthorized, failed), fps in/out, dropped, last error' } });
