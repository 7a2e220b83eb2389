/** @module /api/shadow: what each stream's shadow pipeline would change, compared with the live one (frames, classes, boxes, events, cost). */
import { Elysia, t } from 'elysia';
import type { ShadowReport } from '../shadow/runner';
import { AppError } from '../shared/errors';

/** The running shadows as the API sees them. */
export interface ShadowView {
  list(): ShadowReport[];
  get(stream: string): ShadowReport | null;
}

export const shadowApi = (shadows: ShadowView) =>
  new Elysia({ name: 'api-shadow', prefix: '/api/shadow', detail: { tags: ['streams'] } })
    .get('/', () => ({ items: shadows.list() }), {
      detail: {
        summary:
          'Every shadow pipeline: both pipelines and revisions, frames offered, analysed and shed, detections per class, matched boxes, events gained and lost, stage times and cost, in total and per window',
      },
    })
    .get(
      '/:stream',
      ({ params }) => {
        const r = shadows.get(params.stream);
        if (!r) throw new AppError('not_found', `stream ${params.stream} has no shadow pipeline running`);
        return r;
      },
      {
        params: t.Object({ stream: t.String() }),
        detail: { summary: "One stream's shadow report, with its windows (newest first) and the current one" },
      },
    );
