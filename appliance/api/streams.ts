/** @module /api/streams: each stream's state, rates, drops, queue and stage timings. */
import { Elysia, t } from 'elysia';
import type { Streams } from '../ingest/streams';
import type { StreamView } from '../ingest/stream';
import type { LiveVideo } from '../ingest/live-video';
import type { Imaging } from '../imaging/port';
import { frameImage, overlayOf } from '../pipeline/overlay';
import type { Frame } from '../pipeline/types';
import { AppError, isAppError } from '../shared/errors';

const runnerOf = (streams: Streams, id: string) => {
  const s = streams.get(id);
  if (!s) throw new AppError('not_found', `stream ${id} not found`);
  return s;
};

const latestOf = (streams: Streams, id: string) => {
  const s = runnerOf(streams, id);
  const frame = s.latest;
  if (!frame) throw new AppError('not_found', `stream ${id} has no analysed frame yet`);
  return { frame, pipeline: s.pipeline.pipeline };
};

export const streamsApi = (streams: Streams, imaging: Imaging, live: LiveVideo) => {
  const withViewers = (v: StreamView) => ({ ...v, live_viewers: live.viewersOf(v.id) });
  // One encode per frame and form, however many viewers ask for it (dropped with the frame).
  const encoded = new WeakMap<Frame, Map<boolean, Promise<Uint8Array>>>();
  const jpegOf = (frame: Frame, boxes: boolean) => {
    const forms = encoded.get(frame) ?? new Map<boolean, Promise<Uint8Array>>();
    encoded.set(frame, forms);
    if (!forms.has(boxes)) forms.set(boxes, frameImage(frame, imaging, boxes));
    return forms.get(boxes)!;
  };
  return new Elysia({ name: 'api-streams', prefix: '/api/streams', detail: { tags: ['streams'] } })
    .get('/', () => ({ items: streams.list().map(withViewers) }), {
      detail: { summary: 'All streams with state and counters' },
    })
    .get(
      '/:id',
      ({ params }) => {
        const v = streams.view(params.id);
        if (!v) throw new AppError('not_found', `stream ${params.id} not found`);
        return withViewers(v);
      },
      {
        detail: {
          summary:
            'One stream: state (pulling or model_missing on first run, connecting, running, backoff, unauthorized, failed), fps in/out, dropped, last error',
        },
      },
    )
    .get(
      '/:id/pipeline',
      ({ params }) => {
        const r = runnerOf(streams, params.id);
        const { pipeline, timings } = r.pipeline;
        return {
          name: pipeline.name,
          fps: pipeline.fps,
          overrides: r.config.overrides,
          revision: streams.revision,
          stages: pipeline.stages.map((st) => ({
            name: st.name,
            type: `${st.def.type}@${st.def.version}`,
            needs: st.needs,
            options: st.options,
            ms: timings[st.name] === undefined ? null : Math.round(timings[st.name]! * 100) / 100,
          })),
        };
      },
      {
        detail: {
          summary:
            "A stream's pipeline as its DAG: stages with type@version, options (overrides applied), needs and mean ms",
        },
      },
    )
    .get(
      '/:id/latest',
      ({ params }) => {
        const { frame, pipeline } = latestOf(streams, params.id);
        return overlayOf(frame, pipeline);
      },
      {
        detail: {
          summary:
            'What to draw over the latest analysed frame: detections with track ids, zones and lines, normalised to the picture (0..1)',
        },
      },
    )
    .get(
      '/:id/frame',
      async ({ params, query, set }) => {
        const frame =
          query.seq === undefined
            ? latestOf(streams, params.id).frame
            : runnerOf(streams, params.id).frameAt(query.seq);
        if (!frame) throw new AppError('not_found', `frame ${query.seq} of ${params.id} is gone; read /latest again`);
        set.headers['content-type'] = 'image/jpeg';
        set.headers['cache-control'] = 'no-store';
        set.headers['x-frame-seq'] = String(frame.seq);
        return new Blob([await jpegOf(frame, query.boxes === true)]);
      },
      {
        query: t.Object({
          seq: t.Optional(
            t.Integer({
              minimum: 0,
              description: 'The frame an overlay from /latest belongs to (the newest or the one before it).',
            }),
          ),
          boxes: t.Optional(
            t.BooleanString({ description: 'Draw the detections into the image (default: the picture alone).' }),
          ),
        }),
        detail: { summary: 'The latest analysed frame as a JPEG, at the analysis resolution' },
      },
    )
    .patch(
      '/:id',
      async ({ params, body }) => {
        try {
          return withViewers((await streams.update(params.id, body)).view());
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
    )
    .put(
      '/:id/detection',
      ({ params, body }) => {
        if (!streams.setDetection(params.id, body.enabled))
          throw new AppError('not_found', `stream ${params.id} not found`);
        return streams.view(params.id);
      },
      {
        body: t.Object({ enabled: t.Boolean() }, { additionalProperties: false }),
        detail: {
          summary:
            "Switch a stream's detection on or off (as Home Assistant's switch does); the stream still decodes, shows and records. Until the box restarts.",
        },
      },
    );
};
