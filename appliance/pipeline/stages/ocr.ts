/**
 * @module `ocr@1`: read text with PaddleOCR's detector and recogniser (docs/ocr.md), on the crops of
 * chosen classes (cars, trucks and buses by default) or on the picture or a region of it. Each line
 * has its text, box and score (`outputs.<stage>`). On detections, what is read is kept to a
 * character set and a pattern (a country's plates), and each tracked object keeps its best reading
 * (the most confident, or the most frequent over its frames) as `text` on the detection, so it
 * rides to the overlay, MQTT, events and exports. A reading within `fuzzy` edits of a known plate
 * gives the object that plate's name as its sub-label. Crops come from a photo's original, or from
 * the decoded frame.
 */
import { Type } from '@sinclair/typebox';
import { defineStage, frameDetections, frameObject } from '../types';
import { readText, READ_DEFAULTS, type TextLine, type TextModels } from '../../inference/ocr';
import { keepReading, knownPlate, TrackTexts, type TextRules } from '../../ocr/plates';
import { AppError } from '../../shared/errors';
import type { ModelPool } from '../models';
import type { Imaging } from '../../imaging/port';
import { fractionBox, regionOf, sourceOf } from './head';

export interface OcrOutput {
  /** The picture's (or region's) lines, when the target is the image. */
  image: TextLine[] | null;
  /** Each read detection: its index in the frame's detections, label, box, and its lines. */
  detections: Array<{ index: number; label: string; box: [number, number, number, number]; lines: TextLine[] }>;
}

/** The detector and recogniser a stage reads with, checked to be what they say. */
export async function textModels(models: ModelPool, det: string, rec: string): Promise<TextModels> {
  const [d, r] = await Promise.all([models.get(det), models.get(rec)]);
  if (d.entry.task !== 'text-detect')
    throw new AppError('config_invalid', `ocr: ${det} is not a text detector (task ${d.entry.task})`);
  if (r.entry.task !== 'text-recognize' || !r.labels.length)
    throw new AppError('config_invalid', `ocr: ${rec} is not a text recogniser with its characters`);
  return {
    det: {
      session: d.session,
      input: d.entry.input.name,
      output: d.entry.output.name || d.session.outputNames[0]!,
      spec: d.entry.input,
    },
    rec: {
      session: r.session,
      input: r.entry.input.name,
      output: r.entry.output.name || r.session.outputNames[0]!,
      spec: r.entry.input,
      height: r.entry.input.height,
      maxWidth: r.entry.input.width,
    },
    charset: r.labels,
  };
}

/** A cutter over a stage's source picture: a rectangle, stretched to w x h RGB (sharp resamples). */
const cutterOf =
  (imaging: Imaging, raw: Parameters<Imaging['rawRegionRgb']>[0]) =>
  async (r: { x: number; y: number; w: number; h: number }, w: number, h: number) => {
    const region = regionOf([r.x, r.y, r.x + r.w, r.y + r.h], raw.width, raw.height);
    if (!region) return new Uint8Array(w * h * 3);
    return imaging.rawRegionRgb(raw, region, w, h);
  };

export const ocrStage = defineStage({
  type: 'ocr',
  version: 1,
  concurrent: true,
  description: 'Read text (plates, signs) on detections of chosen classes, or on the picture or a region.',
  options: Type.Object(
    {
      detector: Type.String({ default: 'ppocr-det@4', description: 'Catalog id@version of the text detector.' }),
      recognizer: Type.String({ default: 'ppocr-rec@4', description: 'Catalog id@version of the recogniser.' }),
      target: Type.Union([Type.Literal('detections'), Type.Literal('image')], {
        default: 'detections',
        description: 'Crops of detections of `classes`, or the picture (or `region` of it).',
      }),
      classes: Type.Array(Type.String(), {
        default: ['car', 'truck', 'bus', 'motorcycle'],
        description: 'detections: read on these labels (empty: all).',
      }),
      region: Type.Optional(
        Type.Tuple(
          [
            Type.Number({ minimum: 0, maximum: 1 }),
            Type.Number({ minimum: 0, maximum: 1 }),
            Type.Number({ minimum: 0, maximum: 1 }),
            Type.Number({ minimum: 0, maximum: 1 }),
          ],
          { description: 'image: [x1, y1, x2, y2] as 0–1 of the picture (default: all of it).' },
        ),
      ),
      min_size: Type.Integer({
        default: 32,
        minimum: 8,
        description: 'detections: crops smaller than this (px, either side, in the source picture) are not read.',
      }),
      min_score: Type.Number({
        default: 0.7,
        minimum: 0,
        maximum: 1,
        description: "A line is kept when the recogniser's mean character probability is at least this.",
      }),
      detector_side: Type.Integer({
        default: 640,
        minimum: 64,
        maximum: 2048,
        description: "The text detector's input: the crop scaled so its longer side is this (a small crop grows).",
      }),
      mode: Type.Union([Type.Literal('plate'), Type.Literal('text')], {
        default: 'plate',
        description:
          "detections: plate keeps upper-case letters and digits (spaces and dashes go), and without a pattern only 4 to 10 of them with a letter and a digit; text keeps a line as read. An object's reading is its longest kept line.",
      }),
      charset: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 200,
          description: 'Only these characters are kept (a country’s plates).',
        }),
      ),
      pattern: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 200,
          description:
            'A reading must match this regular expression (after the charset), e.g. ^[A-Z]{2}[0-9]{2}[A-Z]{3}$.',
        }),
      ),
      every_n: Type.Integer({
        default: 1,
        minimum: 1,
        maximum: 1000,
        description: 'On video: read a tracked object every n-th frame it is seen.',
      }),
      best: Type.Union([Type.Literal('frequent'), Type.Literal('confident')], {
        default: 'frequent',
        description: "A track's text: its most frequent reading (ties: the more confident), or its most confident.",
      }),
      max_crops: Type.Integer({ default: 10, minimum: 1, maximum: 100, description: 'Crops read per frame at most.' }),
      plates: Type.Object(
        {
          known: Type.Record(
            Type.String({ minLength: 1, maxLength: 20 }),
            Type.String({ minLength: 1, maxLength: 64 }),
            {
              default: {},
              description: 'Known plates and their names: {"ABC123": "our van"}. The name becomes the sub-label.',
            },
          ),
          fuzzy: Type.Integer({
            default: 1,
            minimum: 0,
            maximum: 3,
            description: 'A reading within this many edited characters of a known plate is that plate.',
          }),
        },
        { default: {}, additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  async create(o, deps) {
    let pattern: RegExp | null = null;
    try {
      pattern = o.pattern ? new RegExp(o.pattern) : null;
    } catch (e) {
      throw new AppError(
        'config_invalid',
        `ocr: pattern ${o.pattern} is not a regular expression: ${(e as Error).message}`,
      );
    }
    const rules: TextRules = { charset: o.charset ?? null, pattern, plate: o.mode === 'plate' };
    const models = await textModels(deps.models, o.detector, o.recognizer);
    const read = { ...READ_DEFAULTS, detSide: o.detector_side, minScore: o.min_score };
    const texts = new TrackTexts(o.best);
    // How many frames each track has been seen in (it is read every every_n-th).
    const seen = new Map<number, number>();
    return {
      async run(frame) {
        for (const id of frame.endedTracks) {
          texts.end(id);
          seen.delete(id);
        }
        if (frame.final) return;
        const src = await sourceOf(frame, deps.imaging);
        const cut = cutterOf(deps.imaging, src.raw);
        const result: OcrOutput = { image: null, detections: [] };
        if (o.target === 'image') {
          const [x1, y1, x2, y2] = fractionBox(src.whole, o.region ?? [0, 0, 1, 1]);
          const r = { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
          result.image =
            r.w >= 1 && r.h >= 1
              ? await readText(models, cut, r, { ...read, detSide: Math.max(read.detSide, 960) })
              : [];
        } else
          for (const [index, d] of frameDetections(frame).entries()) {
            if (o.classes.length && !o.classes.includes(d.label)) continue;
            const n = d.trackId === null ? 0 : (seen.get(d.trackId) ?? 0);
            if (d.trackId !== null) seen.set(d.trackId, n + 1);
            const region = regionOf(src.map(d.box), src.raw.width, src.raw.height);
            const due = n % o.every_n === 0 && result.detections.length < o.max_crops;
            // An untracked object's reading is this frame's; a tracked one's, its best so far.
            let untracked: { text: string; score: number } | undefined;
            if (due && region && Math.min(region.width, region.height) >= o.min_size) {
              const r = { x: region.left, y: region.top, w: region.width, h: region.height };
              const lines = await readText(models, cut, r, read);
              result.detections.push({ index, label: d.label, box: d.box, lines });
              // The longest kept line is the object's reading (a plate is one line; a badge or a
              // dealer's name beside it is shorter or does not fit the rules).
              const kept = lines
                .map((l) => ({ text: keepReading(l.text, rules), score: l.score }))
                .filter((l): l is { text: string; score: number } => !!l.text)
                .sort((a, b) => b.text.length - a.text.length || b.score - a.score)[0];
              if (kept && d.trackId !== null) texts.add(d.trackId, kept.text, kept.score);
              else untracked = kept;
            }
            const best = d.trackId === null ? untracked : texts.best(d.trackId);
            if (best) name(frameObject(frame, index), best);
          }
        frame.outputs[deps.stage ?? 'ocr'] = result;
      },
    };

    /** The object's text, and a known plate's name as its sub-label. */
    function name(d: ReturnType<typeof frameObject>, best: { text: string; score: number }) {
      if (!d) return;
      d.text = { text: best.text, score: Math.round(best.score * 1e4) / 1e4 };
      const known = knownPlate(best.text, o.plates.known, o.plates.fuzzy);
      if (known) d.subLabel = { label: known.name, score: d.text.score };
    }
  },
});
