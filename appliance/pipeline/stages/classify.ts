/**
 * @module `classify@1`: a classifier from the catalog (MobileNetV2 with its ImageNet labels by
 * default) on the whole picture or on each detection's crop: top-k labels and scores, on the frame
 * (`outputs.<stage>`) and on each detection (`classes`). On a photo the crops come from the original
 * at full resolution; on a video frame from the model-size picture.
 *
 * `model: custom/<name>` runs a classifier trained on the box (docs/classifiers.md): each crop is
 * embedded with the embedding model its card names, cut as that model cuts a photo (the centre
 * square of the short side's crop fraction), and its head gives the classes. The head's kind picks
 * what is cut: an object head takes the detections of its label (or of `classes`), a state head its
 * region of the picture. A head made for another embedding model is refused, naming both.
 */
import { Type } from '@sinclair/typebox';
import { defineStage, frameDetections, type Frame } from '../types';
import { softmax, toTensor, topK } from '../../inference/preprocess';
import type { RawImage, Region } from '../../imaging/port';
import { AppError } from '../../shared/errors';
import { customHead, fractionBox, regionOf, sourceOf, subLabelOf, type Classified } from './head';

export type { Classified };

export interface ClassifyOutput {
  /** The whole picture's classes (target image), else null. */
  image: Classified[] | null;
  /** Each classified detection: its index in the frame's detections, its box and label, its classes. */
  detections: Array<{ index: number; label: string; box: [number, number, number, number]; classes: Classified[] }>;
}

export const classifyStage = defineStage({
  type: 'classify',
  version: 1,
  concurrent: true,
  description: 'Classify the whole picture or each detection crop: top-k labels and scores.',
  options: Type.Object(
    {
      model: Type.String({
        default: 'mobilenetv2-classify@1',
        description:
          'Catalog id@version of a classifier, or custom/<name>: a head trained on this box (docs/classifiers.md).',
      }),
      target: Type.Union([Type.Literal('image'), Type.Literal('detections')], {
        default: 'image',
        description: 'The whole picture, or each detection crop.',
      }),
      top_k: Type.Integer({ default: 5, minimum: 1, maximum: 50, description: 'Labels kept per crop.' }),
      min_score: Type.Number({ default: 0, minimum: 0, maximum: 1, description: 'Drop labels scoring below this.' }),
      classes: Type.Array(Type.String(), {
        default: [],
        description: 'detections: only detections with these labels (empty: all).',
      }),
      max_crops: Type.Integer({ default: 20, minimum: 1, maximum: 500, description: 'detections: at most this many.' }),
      inbox_below: Type.Number({
        default: 0.6,
        minimum: 0,
        maximum: 1.01,
        description: 'custom/ heads: a crop whose best class scores below this goes to the "to label" inbox.',
      }),
      inbox_detector_below: Type.Number({
        default: 0.4,
        minimum: 0,
        maximum: 1.01,
        description: 'custom/ heads: a detection the detector scored below this goes to the inbox too (0: none).',
      }),
      inbox_per_hour: Type.Integer({
        default: 20,
        minimum: 0,
        maximum: 3600,
        description: 'custom/ heads: at most this many crops an hour to the inbox, one per tracked object (0: none).',
      }),
      every_s: Type.Number({
        default: 1,
        minimum: 0,
        description:
          'custom/ heads on video: seconds between two classifications of the same tracked object (its sub-label is the best class it was given).',
      }),
    },
    { additionalProperties: false },
  ),
  async create(o, deps) {
    const keepScore = (probs: Float32Array): Classified[] =>
      topK(probs, o.top_k)
        .filter((c) => c.score >= o.min_score)
        .map((c) => ({ label: String(c.index), score: Math.round(c.score * 1e4) / 1e4 }));
    if (o.model.startsWith('custom/')) {
      const head = await customHead(o.model, deps, keepScore);
      const labels = o.classes.length ? o.classes : head.card.object_label ? [head.card.object_label] : [];
      // Each track's sub-label (its best class so far) and when it was last classified.
      const tracks = new Map<number, { sub: Classified; at: number }>();
      // The inbox: the wall-clock times of the crops sent in the last hour, and the tracks already sent.
      const sent: number[] = [];
      const proposed = new Set<number>();
      const propose = (
        frame: Frame,
        box: [number, number, number, number],
        trackId: number | null,
        top: Classified | undefined,
        detScore: number,
      ) => {
        const reason =
          top && top.score < o.inbox_below ? 'unsure' : detScore < o.inbox_detector_below ? 'detector' : null;
        if (!reason || !deps.inbox || o.inbox_per_hour === 0 || (trackId !== null && proposed.has(trackId))) return;
        const now = frame.decodedAt;
        while (sent.length && now - sent[0]! >= 3_600_000) sent.shift();
        if (sent.length >= o.inbox_per_hour) return;
        sent.push(now);
        if (trackId !== null) proposed.add(trackId);
        void deps.inbox
          .propose(frame, box, {
            classifier: head.card.name,
            reason,
            guess: top?.label ?? null,
            score: top?.score ?? null,
          })
          .catch((e: unknown) => deps.log.warn('a crop for the inbox was not kept', { error: e }));
      };
      return {
        async run(frame) {
          for (const id of frame.endedTracks) {
            tracks.delete(id);
            proposed.delete(id);
          }
          if (frame.final) return;
          const src = await sourceOf(frame, deps.imaging);
          const result: ClassifyOutput = { image: null, detections: [] };
          if (head.card.kind === 'state' && head.card.region) {
            const region = regionOf(fractionBox(src.whole, head.card.region), src.raw.width, src.raw.height);
            if (region) result.image = await head.classify(src.raw, region);
          } else
            for (const [index, d] of frameDetections(frame).entries()) {
              if (labels.length && !labels.includes(d.label)) continue;
              const known = d.trackId === null ? undefined : tracks.get(d.trackId);
              const due = !known || frame.ptsS - known.at >= o.every_s;
              if (due && result.detections.length < o.max_crops) {
                const region = regionOf(src.map(d.box), src.raw.width, src.raw.height);
                if (!region) continue;
                const classes = await head.classify(src.raw, region);
                result.detections.push({ index, label: d.label, box: d.box, classes });
                const top = classes[0];
                const best = known && (!top || known.sub.score >= top.score) ? known.sub : top;
                if (d.trackId !== null && best) tracks.set(d.trackId, { sub: best, at: frame.ptsS });
                if (best) subLabelOf(frame, index, best);
                propose(frame, d.box, d.trackId, top, d.score);
              } else if (known) subLabelOf(frame, index, known.sub);
            }
          frame.outputs[deps.stage ?? 'classify'] = result;
        },
      };
    }
    const m = await deps.models.get(o.model);
    const { input, output } = m.entry;
    if (m.entry.task !== 'classify')
      throw new AppError('config_invalid', `classify: model ${o.model} is not a classifier (task ${m.entry.task})`);
    if (m.labels.length === 0) throw new AppError('config_invalid', `classify: model ${o.model} has no labels`);
    const outName = output.name || m.session.outputNames[0]!;
    const dims = input.layout === 'NCHW' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
    const classify = async (img: RawImage, region: Region): Promise<Classified[]> => {
      const rgb = await deps.imaging.rawRegionRgb(img, region, input.width, input.height);
      const out = await m.session.run(
        { [input.name]: { data: toTensor(rgb, input.width, input.height, input), dims } },
        [outName],
      );
      const data = out[outName]!.data as Float32Array;
      const probs = output.decoder === 'softmax' ? softmax(data) : data;
      return keepScore(probs).map((c) => ({ label: m.labels[Number(c.label)] ?? c.label, score: c.score }));
    };
    return {
      async run(frame) {
        if (frame.final) return;
        const src = await sourceOf(frame, deps.imaging);
        const result: ClassifyOutput = { image: null, detections: [] };
        if (o.target === 'image') result.image = await classify(src.raw, src.whole);
        else {
          const dets = frameDetections(frame);
          for (const [index, d] of dets.entries()) {
            if (result.detections.length >= o.max_crops) break;
            if (o.classes.length && !o.classes.includes(d.label)) continue;
            const region = regionOf(src.map(d.box), src.raw.width, src.raw.height);
            if (!region) continue;
            result.detections.push({ index, label: d.label, box: d.box, classes: await classify(src.raw, region) });
          }
        }
        frame.outputs[deps.stage ?? 'classify'] = result;
      },
    };
  },
});
