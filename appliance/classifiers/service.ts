/**
 * @module Classifiers on the box: made with a name, a kind and classes; taught with labelled
 * examples (embeddings of pictures, or of boxes of them, made by the box's own embedding model);
 * evaluated by k-fold before anyone saves; saved as an ONNX head with its card (classes, evaluation,
 * examples, the embedding model it needs). Training is deterministic, so what is saved is what was
 * evaluated. Ports in: the store, the embedder of pictures, the files.
 */
import { AppError } from '../shared/errors';
import { crossValidate, type Evaluation } from './metrics';
import { headOnnx } from './onnx';
import { train, TRAIN_DEFAULTS } from './train';

export type Box = [number, number, number, number];

export interface Classifier {
  name: string;
  kind: 'object' | 'state';
  classes: string[];
  objectLabel: string | null;
  stream: string | null;
  region: Box | null;
  modelId: string;
  owner: string | null;
  created: number;
  trained: unknown;
}

export interface ClassifierStorePort {
  create(c: Omit<Classifier, 'created' | 'trained'>): Promise<boolean>;
  get(name: string): Promise<Classifier | null>;
  setTrained(name: string, card: unknown): Promise<void>;
  label(
    classifier: string,
    examples: Array<{
      id: string;
      class: string;
      source: string;
      sourceId: string;
      box: Box | null;
      embedding: Float32Array;
      owner: string | null;
    }>,
  ): Promise<void>;
  counts(classifier: string): Promise<Record<string, number>>;
  trainingSet(classifier: string): Promise<Array<{ class: string; embedding: Float32Array }>>;
}

/** What a saved head's card says. */
export interface HeadCard {
  name: string;
  kind: Classifier['kind'];
  classes: string[];
  object_label: string | null;
  stream: string | null;
  region: Box | null;
  embedding_model: string;
  embedding_sha256: string;
  examples: Record<string, number>;
  evaluation: Evaluation;
  onnx_sha256: string;
  trained_at: string;
}

export interface ClassifierDeps {
  store: ClassifierStorePort;
  /** The box's embedding model (examples are embedded with it; a head needs it). */
  embedding: { ref: string; sha256: string };
  /** Write a head's files; answers the ONNX file's sha256. */
  write(name: string, onnx: Uint8Array, card: Omit<HeadCard, 'onnx_sha256'>): Promise<string>;
  newId(): string;
  now(): number;
  version: string;
}

/** The least examples per class to evaluate (two folds) and to save. */
export const MIN_PER_CLASS = 2;
export const DEFAULT_FOLDS = 5;

export class Classifiers {
  constructor(private readonly d: ClassifierDeps) {}

  async create(c: Omit<Classifier, 'created' | 'trained' | 'modelId'>): Promise<Classifier> {
    if (c.kind === 'object' && !c.objectLabel)
      throw new AppError('validation_failed', 'an object classifier names the detected label it sub-labels (label)');
    if (c.kind === 'state' && (!c.stream || !c.region))
      throw new AppError('validation_failed', 'a state classifier names its stream and region');
    if (new Set(c.classes).size !== c.classes.length)
      throw new AppError('validation_failed', 'each class is named once');
    if (!(await this.d.store.create({ ...c, modelId: this.d.embedding.ref })))
      throw new AppError('conflict', `a classifier named ${c.name} exists`);
    return (await this.d.store.get(c.name))!;
  }

  async get(name: string): Promise<Classifier> {
    const c = await this.d.store.get(name);
    if (!c) throw new AppError('not_found', `no classifier ${name}`);
    return c;
  }

  /**
   * Label pictures (or boxes of them) as `cls`: each is embedded (`embed`, which also checks the
   * caller may see it) before any is stored, so a bad one stores none.
   */
  async label(
    name: string,
    cls: string,
    items: Array<{ source: string; id: string; box: Box | null }>,
    embed: (item: { source: string; id: string; box: Box | null }) => Promise<Float32Array>,
    owner: string | null,
  ): Promise<number> {
    const c = await this.get(name);
    if (!c.classes.includes(cls))
      throw new AppError('validation_failed', `${name} has no class ${cls} (it has ${c.classes.join(', ')})`);
    if (c.modelId !== this.d.embedding.ref)
      throw new AppError(
        'conflict',
        `${name} was made with the embedding model ${c.modelId}; this box embeds with ${this.d.embedding.ref}`,
      );
    const examples = [];
    for (const it of items)
      examples.push({ ...it, sourceId: it.id, id: this.d.newId(), class: cls, embedding: await embed(it), owner });
    await this.d.store.label(name, examples);
    return examples.length;
  }

  /** The examples as training wants them, refused with what is missing when too few. */
  private async set(c: Classifier) {
    const rows = await this.d.store.trainingSet(c.name);
    const counts = Object.fromEntries(c.classes.map((k) => [k, rows.filter((r) => r.class === k).length]));
    const short = c.classes.filter((k) => counts[k]! < MIN_PER_CLASS);
    if (short.length)
      throw new AppError(
        'validation_failed',
        `label at least ${MIN_PER_CLASS} examples of each class first: ${short.map((k) => `${k} has ${counts[k]}`).join(', ')}`,
      );
    return {
      x: rows.map((r) => r.embedding),
      y: rows.map((r) => c.classes.indexOf(r.class)),
      counts,
    };
  }

  /** k-fold evaluation of the examples as they are now; nothing is saved. */
  async evaluate(
    name: string,
    folds = DEFAULT_FOLDS,
  ): Promise<Evaluation & { examples: Record<string, number>; ms: number }> {
    const c = await this.get(name);
    const s = await this.set(c);
    const t0 = performance.now();
    const e = crossValidate(s.x, s.y, c.classes, folds, TRAIN_DEFAULTS);
    return { ...e, examples: s.counts, ms: Math.round(performance.now() - t0) };
  }

  /** Train on every example and save the head (ONNX and card); the card is kept on the classifier. */
  async save(name: string, folds = DEFAULT_FOLDS): Promise<HeadCard> {
    const c = await this.get(name);
    const s = await this.set(c);
    const evaluation = crossValidate(s.x, s.y, c.classes, folds, TRAIN_DEFAULTS);
    const head = train(s.x, s.y, c.classes, TRAIN_DEFAULTS);
    const card: Omit<HeadCard, 'onnx_sha256'> = {
      name: c.name,
      kind: c.kind,
      classes: c.classes,
      object_label: c.objectLabel,
      stream: c.stream,
      region: c.region,
      embedding_model: this.d.embedding.ref,
      embedding_sha256: this.d.embedding.sha256,
      examples: s.counts,
      evaluation,
      trained_at: new Date(this.d.now()).toISOString(),
    };
    const onnx = headOnnx(head, {
      name: c.name,
      embedding_model: card.embedding_model,
      embedding_sha256: card.embedding_sha256,
      fovea_version: this.d.version,
    });
    const full: HeadCard = { ...card, onnx_sha256: await this.d.write(c.name, onnx, card) };
    await this.d.store.setTrained(c.name, full);
    return full;
  }
}
