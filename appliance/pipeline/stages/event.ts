/**
 * @module `event@1`: zone enter/leave, line crossing, dwell and counts from tracked objects (see
 * pipeline/events.ts). For each track it keeps the frame where the object scored best, and attaches a
 * snapshot of that frame to the track's events (one snapshot per track, reused by its later events).
 */
import { Type } from '@sinclair/typebox';
import { defineStage, type Frame, type SnapshotPort } from '../types';
import { EventEngine, type TrackedObject } from '../events';
import { PointT, PolygonT } from './filter';
import type { Point } from '../geometry';
import type { ObjectEvent, SubLabelled } from '../../contracts/results';

interface Best {
  score: number;
  box: [number, number, number, number];
  frame: Pick<Frame, 'pixels' | 'width' | 'height' | 'pixfmt' | 'letterbox' | 'stream' | 'picture'>;
  snap: ReturnType<SnapshotPort['take']> | null;
}

export const eventStage = defineStage({
  type: 'event',
  version: 1,
  description: 'Events from tracks: zones, lines, dwell, counts; with best snapshots.',
  options: Type.Object(
    {
      zones: Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1 }),
            polygon: PolygonT,
            labels: Type.Optional(Type.Array(Type.String())),
            dwell_s: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          },
          { additionalProperties: false },
        ),
        { default: [] },
      ),
      lines: Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1 }),
            a: PointT,
            b: PointT,
            labels: Type.Optional(Type.Array(Type.String())),
          },
          { additionalProperties: false },
        ),
        { default: [] },
      ),
      count: Type.Boolean({ default: true, description: 'Emit the count per class when it changes.' }),
      snapshots: Type.Boolean({ default: true, description: 'Attach a JPEG of the best frame of the track.' }),
    },
    { additionalProperties: false },
  ),
  create(o, deps) {
    let engine: EventEngine | null = null;
    const best = new Map<number, Best>();
    // What a classifier (classify@1 with a custom head, before this stage) named each track last.
    const named = new Map<number, [string, number]>();
    // What ocr@1 (before this stage) read on each track: its best reading so far.
    const read = new Map<number, [string, number]>();
    return {
      async run(frame) {
        engine ??= new EventEngine(
          {
            zones: o.zones.map((z) => ({ ...z, polygon: z.polygon as Point[] })),
            lines: o.lines.map((l) => ({ ...l, a: l.a as Point, b: l.b as Point })),
            count: o.count,
          },
          { width: frame.letterbox.srcWidth, height: frame.letterbox.srcHeight },
        );
        const objects: TrackedObject[] = [];
        for (const d of frame.tracked) {
          if (d.trackId === null) continue;
          objects.push({ trackId: d.trackId, label: d.label, score: d.score, box: d.box });
          if (d.subLabel) named.set(d.trackId, [d.subLabel.label, d.subLabel.score]);
          if (d.text) read.set(d.trackId, [d.text.text, d.text.score]);
          const b = best.get(d.trackId);
          if (o.snapshots && (!b || (d.score > b.score && !b.snap))) {
            best.set(d.trackId, {
              score: d.score,
              box: d.box,
              frame: {
                pixels: frame.pixels,
                width: frame.width,
                height: frame.height,
                pixfmt: frame.pixfmt,
                letterbox: frame.letterbox,
                stream: frame.stream,
                picture: frame.picture,
              },
              snap: null,
            });
          }
        }
        for (const ev of engine.update(objects, frame.endedTracks, frame.ptsS)) {
          const id = Bun.randomUUIDv7();
          let snapshotKey: string | null = null;
          let imageId: string | null = null;
          let inSnapshot: [number, number, number, number] | undefined;
          const b = 'trackId' in ev ? best.get(ev.trackId) : undefined;
          if (b && deps.snapshots) {
            b.snap ??= deps.snapshots.take(b.frame, b.box, { label: ev.label, eventType: ev.type, eventId: id });
            try {
              ({ key: snapshotKey, imageId, box: inSnapshot } = await b.snap);
            } catch (e) {
              deps.log.warn('snapshot failed; event kept without it', { error: e, event: ev.type });
            }
          }
          const sub = 'trackId' in ev ? named.get(ev.trackId) : undefined;
          const text = 'trackId' in ev ? read.get(ev.trackId) : undefined;
          const event: ObjectEvent & SubLabelled = {
            ...ev,
            ...(sub && { sub_label: sub }),
            ...(text && { text }),
            ...(inSnapshot && imageId && { snapshot_box: inSnapshot.map(Math.round) as typeof inSnapshot }),
          };
          frame.events.push({ id, event, snapshotKey, imageId });
        }
        for (const id of frame.endedTracks) {
          best.delete(id);
          named.delete(id);
          read.delete(id);
        }
      },
    };
  },
});
