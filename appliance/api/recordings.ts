/**
 * @module /api/recordings: what each stream records and its state, a stream's timeline (recorded
 * spans and review items), and clips of any range (MP4 by stream copy, with Range requests), plus
 * the clip of an event (its review item's, else the event's time with the stream's pre- and post-roll).
 */
import { Elysia, t } from 'elysia';
import { AppError } from '../shared/errors';
import { fileResponse } from './range';
import type { Clip } from '../record/service';
import { withRoll } from '../record/retention';
import type { StoredItem } from '../store/recordings';
import { ownerOf } from './auth';

export interface RecordingsPort {
  status(): Promise<unknown[]>;
  readonly freeBytes: number | null;
  timeline(stream: string, start: number, end: number): Promise<Array<{ start: number; end: number }>>;
  clip(stream: string, start: number, end: number): Promise<Clip>;
  play(stream: string, start: number): Promise<{ mime: string; body: ReadableStream<Uint8Array>; start: number }>;
}

export interface ClipDeps {
  recordings: RecordingsPort;
  /** A review item as `user` sees it. */
  item(id: string, user: string): Promise<StoredItem | null>;
  /** Items of a stream overlapping a span (timeline markers). */
  items(stream: string, start: number, end: number, user: string): Promise<StoredItem[]>;
  /** An event's stream and time (ms); null when there is no such event or it is not from a stream. */
  event(id: string): Promise<{ stream: string; ts: number; item: string | null } | null>;
  /** A stream's pre- and post-roll (s); null for a stream the box does not have. */
  roll(stream: string): { pre_s: number; post_s: number } | null;
}

/** A time given as epoch ms or ISO 8601. */
export function timeOf(raw: string, field: string): number {
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(n))
    throw new AppError('validation_failed', `${field}: '${raw}' is neither epoch ms nor ISO 8601`);
  return n;
}

const clipName = (stream: string, start: number) =>
  `${stream}-${new Date(start)
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z')}.mp4`;

/** A clip as a response: Range honoured, what it covers in headers, a download name when asked. */
export function clipResponse(req: Request, stream: string, c: Clip, download: boolean): Response {
  return fileResponse(req, c.path, 'video/mp4', {
    'cache-control': 'private, max-age=600',
    'x-clip-start': new Date(c.start).toISOString(),
    'x-clip-end': new Date(c.end).toISOString(),
    'x-clip-gap-ms': String(c.gapMs),
    ...(download && { 'content-disposition': `attachment; filename="${clipName(stream, c.start)}"` }),
  });
}

/** The span of an item's clip: the item with its stream's pre- and post-roll (an open item: to now). */
export const itemSpan = (it: StoredItem, roll: { pre_s: number; post_s: number }, now: number) =>
  withRoll(it, roll.pre_s, roll.post_s, now);

const Q = t.Object({
  start: t.String({ maxLength: 40, description: 'Epoch ms or ISO 8601.' }),
  end: t.String({ maxLength: 40, description: 'Epoch ms or ISO 8601.' }),
  download: t.Optional(t.BooleanString({ description: 'Answer as an attachment with a file name.' })),
});

export const recordingsApi = (d: ClipDeps) =>
  new Elysia({ name: 'api-recordings', detail: { tags: ['recordings'] } })
    .get(
      '/api/recordings',
      async () => ({ free_bytes: d.recordings.freeBytes, streams: await d.recordings.status() }),
      {
        detail: { summary: "Each recorded stream's state and what is kept of it" },
      },
    )
    .get(
      '/api/recordings/:stream',
      async ({ params, query, request }) => {
        if (!d.roll(params.stream)) throw new AppError('not_found', `stream ${params.stream} not found`);
        const end = query.end ? timeOf(query.end, 'end') : Date.now();
        const start = query.start ? timeOf(query.start, 'start') : end - 86_400_000;
        if (!(end > start)) throw new AppError('validation_failed', 'end must be after start');
        const [spans, items] = await Promise.all([
          d.recordings.timeline(params.stream, start, end),
          d.items(params.stream, start, end, ownerOf(request)),
        ]);
        const iso = (ms: number) => new Date(ms).toISOString();
        return {
          stream: params.stream,
          start: iso(start),
          end: iso(end),
          spans: spans.map((s) => ({ start: iso(s.start), end: iso(s.end) })),
          items: items.map((it) => ({
            id: it.id,
            severity: it.severity,
            labels: it.labels,
            start: iso(it.start),
            end: it.end === null ? null : iso(it.end),
          })),
        };
      },
      {
        query: t.Object({
          start: t.Optional(t.String({ maxLength: 40 })),
          end: t.Optional(t.String({ maxLength: 40 })),
        }),
        detail: { summary: "A stream's timeline: recorded spans (a gap is a time with no recording) and review items" },
      },
    )
    .get(
      '/api/recordings/:stream/clip.mp4',
      async ({ params, query, request }) => {
        if (!d.roll(params.stream)) throw new AppError('not_found', `stream ${params.stream} not found`);
        const c = await d.recordings.clip(params.stream, timeOf(query.start, 'start'), timeOf(query.end, 'end'));
        return clipResponse(request, params.stream, c, !!query.download);
      },
      {
        query: Q,
        detail: {
          summary: 'A clip of any range by stream copy (from the keyframe at or before start), with Range requests',
        },
      },
    )
    .get(
      '/api/recordings/:stream/play.mp4',
      async ({ params, query }) => {
        if (!d.roll(params.stream)) throw new AppError('not_found', `stream ${params.stream} not found`);
        const p = await d.recordings.play(params.stream, timeOf(query.start, 'start'));
        return new Response(p.body, {
          headers: {
            'content-type': 'video/mp4',
            'cache-control': 'no-store',
            'x-mime': p.mime,
            'x-play-start': new Date(p.start).toISOString(),
          },
        });
      },
      {
        query: t.Object({ start: t.String({ maxLength: 40, description: 'Epoch ms or ISO 8601.' }) }),
        detail: {
          summary:
            'Play from a moment to the end of that recorded stretch (an hour at most): fragmented MP4 for Media Source Extensions, its codec in X-Mime',
        },
      },
    )
    .get(
      '/api/events/:id/clip.mp4',
      async ({ params, query, request }) => {
        const ev = await d.event(params.id);
        if (!ev) throw new AppError('not_found', `event ${params.id} not found, or not from a stream`);
        const roll = d.roll(ev.stream);
        if (!roll) throw new AppError('not_found', `stream ${ev.stream} of event ${params.id} is not on this box`);
        const it = ev.item ? await d.item(ev.item, ownerOf(request)) : null;
        const span = it
          ? itemSpan(it, roll, Date.now())
          : { start: ev.ts - roll.pre_s * 1000, end: ev.ts + roll.post_s * 1000 };
        const c = await d.recordings.clip(ev.stream, span.start, span.end);
        return clipResponse(request, ev.stream, c, !!query.download);
      },
      {
        query: t.Object({ download: t.Optional(t.BooleanString()) }),
        detail: {
          summary: "An event's clip: its review item with pre- and post-roll, else the event's time with them",
        },
      },
    );
