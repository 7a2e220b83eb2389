/**
 * @module The model catalog: its schema (TypeBox, like the config) and lookup by `id@version`. The
 * YAML file is embedded in the binary; a box may point to its own catalog file instead.
 */
import { Type, type Static } from '@sinclair/typebox';
import catalogText from '../../models/catalog.yaml' with { type: 'text' };
import { decode, parseYaml } from '../config/validate';
import { AppError } from '../shared/errors';

const Sha = Type.String({ pattern: '^([0-9a-f]{64})?$', description: 'Lower-case hex sha256, or empty when unknown.' });
const Triple = Type.Tuple([Type.Number(), Type.Number(), Type.Number()]);

export const ModelInput = Type.Object(
  {
    name: Type.String({ description: 'Input tensor name.' }),
    width: Type.Integer({ minimum: 1, maximum: 8192 }),
    height: Type.Integer({ minimum: 1, maximum: 8192 }),
    layout: Type.Union([Type.Literal('NCHW'), Type.Literal('NHWC')]),
    color: Type.Union([Type.Literal('RGB'), Type.Literal('BGR')]),
    scale: Type.Number({ description: 'Applied to 0..255 pixels before mean/std.' }),
    mean: Triple,
    std: Triple,
    resize: Type.Union(
      [Type.Literal('center-crop'), Type.Literal('letterbox'), Type.Literal('stretch'), Type.Literal('text')],
      {
        description:
          'text: a text detector takes the picture with its longer side at most width, both sides multiples of 32; a text recogniser, a line at height, up to width wide.',
      },
    ),
    short_side: Type.Optional(
      Type.Integer({ minimum: 1, description: 'center-crop: resize the short side to this first.' }),
    ),
    letterbox: Type.Optional(
      Type.Object(
        {
          align: Type.Union([Type.Literal('top-left'), Type.Literal('center')]),
          pad: Type.Integer({ minimum: 0, maximum: 255 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ModelOutput = Type.Object(
  {
    name: Type.String({ description: 'Output tensor name (empty: the first output).' }),
    decoder: Type.Union([
      Type.Literal('embedding'),
      Type.Literal('softmax'),
      Type.Literal('yolox'),
      Type.Literal('nanodet'),
      Type.Literal('db'),
      Type.Literal('ctc'),
    ]),
    dims: Type.Optional(Type.Integer({ minimum: 1 })),
    strides: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }))),
    nms_iou: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

export const ModelEntry = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$' }),
    version: Type.Integer({ minimum: 1 }),
    task: Type.Union([
      Type.Literal('detect'),
      Type.Literal('embed'),
      Type.Literal('classify'),
      Type.Literal('text-detect'),
      Type.Literal('text-recognize'),
    ]),
    title: Type.String(),
    licence: Type.String(),
    available: Type.Boolean({ default: true, description: 'false: described but not obtainable; pull skips it.' }),
    file: Type.String({ pattern: '^[A-Za-z0-9._-]+$' }),
    sha256: Sha,
    source: Type.Object(
      {
        url: Type.String({
          description:
            'The pinned upstream file: https://…, or npm:<package>@<version>/<path> for a model an npm package ships (read from node_modules).',
        }),
        sha256: Type.Optional(Sha),
        derive: Type.Optional(Type.Literal('expose-embedding')),
        derived_sha256: Type.Optional(Sha),
      },
      { additionalProperties: false },
    ),
    labels: Type.Optional(
      Type.Union([Type.Literal('coco'), Type.Literal('imagenet'), Type.Literal('ppocr-keys-v1')], {
        description: "The class names (a text recogniser's: its characters, class i from 1).",
      }),
    ),
    input: ModelInput,
    output: ModelOutput,
    text_encoder: Type.Optional(
      Type.Object(
        {
          file: Type.String(),
          sha256: Sha,
          url: Type.String(),
          tokenizer: Type.String(),
          context_length: Type.Integer({ minimum: 1 }),
          input: Type.String(),
          output: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const Catalog = Type.Object({ models: Type.Array(ModelEntry) }, { additionalProperties: false });

export type ModelEntry = Static<typeof ModelEntry>;
export type ModelInput = Static<typeof ModelInput>;
export type Catalog = Static<typeof Catalog>;

export const refOf = (m: Pick<ModelEntry, 'id' | 'version'>) => `${m.id}@${m.version}`;

export function parseCatalog(text: string, file: string): Catalog {
  const catalog = decode(Catalog, parseYaml(text, file), file);
  const seen = new Set<string>();
  for (const m of catalog.models) {
    if (seen.has(refOf(m))) throw new AppError('config_invalid', `${file}: model ${refOf(m)} is listed twice`);
    seen.add(refOf(m));
  }
  return catalog;
}

export function builtinCatalog(): Catalog {
  return parseCatalog(catalogText, 'models/catalog.yaml');
}

/** Find `id@version` (or `id`, meaning its highest version). */
export function findModel(catalog: Catalog, ref: string): ModelEntry {
  const [id, v] = ref.split('@');
  const matches = catalog.models.filter((m) => m.id === id && (v === undefined || m.version === Number(v)));
  const best = matches.sort((a, b) => b.version - a.version)[0];
  if (!best) {
    const known = catalog.models.map(refOf).join(', ');
    throw new AppError('model_unavailable', `model ${ref} is not in the catalog (known: ${known})`);
  }
  return best;
}
