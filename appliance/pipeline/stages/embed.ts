/**
 * @module `embed@1`: image embeddings from video, with a catalog embedding model: of the whole frame
 * (the picture part, without letterbox padding), or of each tracked object's crop, the first time
 * the track is confirmed and then every `every_s` seconds while it lasts. Vectors go to
 * the sink (the `embeddings` table) and to the frame for later stages.
 */
import { Type } from '@sinclair/typebox';
import { defineStage, type Frame } from '../types';
import { l2normalize, toTensor } from '../../inference/preprocess';
import { refOf } from '../../models/catalog';
import { pictureRegion, toInput } from '../../inference/detect/types';
import { AppError } from '../../shared/errors';
import { BoundedWrites } from '../writes';

export interface FrameEmbedding {
  trackId: number | null;
  label: string | null;
  vector: Float32Array;
}

export const embedStage = defineStage({
  type: 'embed',
  version: 1,
  description: 'Embeddings of the frame or of tracked objects, stored for search and analytics.',
  options: Type.Object(
    {
      model: Type.String({ default: 'mobilenetv2-embed@1', description: 'Catalog id@version of an embed model.' }),
      target: Type.Union([Type.Literal('frame'), Type.Literal('tracks')], {
        default: 'tracks',
        description: 'The whole frame, or each tracked object.',
      }),
      classes: Type.Array(Type.String(), { default: [], description: 'tracks: only these labels (empty: all).' }),
      every_s: Type.Number({
        default: 5,
        minimum: 0,
        description: 'Seconds between two embeddings of the same track or of the frame (0: every frame).',
      }),
      min_size: Type.Integer({
        default: 16,
        minimum: 1,
        description: 'tracks: skip crops smaller than this many pixels on a side.',
      }),
    },
    { additionalProperties: false },
  ),
  async create(o, deps) {
    const m = await deps.models.get(o.model);
    const { input, output } = m.entry;
    if (m.entry.task !== 'embed' || !output.dims)
      throw new AppError('config_invalid', `embed: model ${o.model} is not an embedding model`);
    const outName = output.name || m.session.outputNames[0]!;
    const last = new Map<number | 'frame', number>();
    const writes = new BoundedWrites(64, deps.log);
    const embed = async (frame: Frame, region: { left: number; top: number; width: number; height: number }) => {
      const rgb = await deps.imaging.rawRegionRgb(frame, region, input.width, input.height);
      const dims = input.layout === 'NCHW' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
      const out = await m.session.run(
        { [input.name]: { data: toTensor(rgb, input.width, input.height, input), dims } },
        [outName],
      );
      return l2normalize(Float32Array.from(out[outName]!.data));
    };
    const due = (key: number | 'frame', t: number) => {
      const prev = last.get(key);
      if (prev !== undefined && t - prev < o.every_s) return false;
      last.set(key, t);
      return true;
    };
    return {
      async run(frame) {
        if (frame.final) return;
        const lb = frame.letterbox;
        const results: FrameEmbedding[] = [];
        if (o.target === 'frame') {
          if (due('frame', frame.ptsS)) {
            const region = pictureRegion(lb, frame.width, frame.height);
            results.push({ trackId: null, label: null, vector: await embed(frame, region) });
          }
        } else {
          for (const d of frame.tracked) {
            if (d.trackId === null || (o.classes.length && !o.classes.includes(d.label))) continue;
            // Box from source pixels to frame pixels, clipped to the frame.
            const b = toInput(d.box, lb);
            const x1 = Math.max(0, Math.floor(b[0]));
            const y1 = Math.max(0, Math.floor(b[1]));
            const x2 = Math.min(frame.width, Math.ceil(b[2]));
            const y2 = Math.min(frame.height, Math.ceil(b[3]));
            if (x2 - x1 < o.min_size || y2 - y1 < o.min_size || !due(d.trackId, frame.ptsS)) continue;
            results.push({
              trackId: d.trackId,
              label: d.label,
              vector: await embed(frame, { left: x1, top: y1, width: x2 - x1, height: y2 - y1 }),
            });
          }
          for (const id of frame.endedTracks) last.delete(id);
        }
        frame.outputs.embed = results;
        const timestamp = new Date(frame.decodedAt);
        for (const r of results) {
          await writes.add(
            deps.sink.embedding({
              sessionId: deps.sessionId,
              revision: deps.revision(),
              stream: frame.stream,
              timestamp,
              trackId: r.trackId,
              label: r.label,
              modelId: refOf(m.entry),
              vector: r.vector,
            }),
          );
        }
      },
      settle: () => writes.close(),
      close: () => writes.close(),
    };
  },
});
