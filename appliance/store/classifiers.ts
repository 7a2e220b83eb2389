/**
 * @module Classifiers and their labelled examples in DuckDB. An example is an embedding with its
 * class and where it came from (a picture, perhaps a box of it); the same picture and box labelled
 * again keeps one row with the newer class. Deleting a classifier deletes its examples.
 */
import type { Db } from './duckdb';

export interface ClassifierRow {
  name: string;
  kind: 'object' | 'state';
  classes: string[];
  objectLabel: string | null;
  stream: string | null;
  region: [number, number, number, number] | null;
  modelId: string;
  owner: string | null;
  created: number;
  /** The card of the head saved last, or null. */
  trained: unknown;
}

export interface ExampleRow {
  id: string;
  classifier: string;
  class: string;
  source: string;
  sourceId: string;
  box: [number, number, number, number] | null;
  owner: string | null;
  created: number;
}

export interface InboxRow {
  id: string;
  imageId: string;
  box: [number, number, number, number];
  stream: string;
  reason: string;
  guess: string | null;
  score: number | null;
  created: number;
}

export interface NewExample {
  id: string;
  class: string;
  source: string;
  sourceId: string;
  box: [number, number, number, number] | null;
  embedding: Float32Array;
  owner: string | null;
}

interface RawClassifier {
  name: string;
  kind: 'object' | 'state';
  classes: string;
  object_label: string | null;
  stream: string | null;
  region: string | null;
  model_id: string;
  owner: string | null;
  created_at: Date;
  trained: string | null;
}

const classifierOf = (r: RawClassifier): ClassifierRow => ({
  name: r.name,
  kind: r.kind,
  classes: JSON.parse(r.classes),
  objectLabel: r.object_label,
  stream: r.stream,
  region: r.region ? JSON.parse(r.region) : null,
  modelId: r.model_id,
  owner: r.owner,
  created: r.created_at.getTime(),
  trained: r.trained ? JSON.parse(r.trained) : null,
});

/** The key of an example's picture and box: labelling it again finds the same row. */
export const exampleKey = (source: string, id: string, box: readonly number[] | null) =>
  `${source}:${id}:${box ? box.map((v) => Math.round(v)).join(',') : ''}`;

export class ClassifierStore {
  constructor(private readonly db: Db) {}

  /** Create a classifier; false when the name is taken. */
  async create(c: Omit<ClassifierRow, 'created' | 'trained'>): Promise<boolean> {
    const taken = await this.db.all('SELECT 1 FROM classifiers WHERE name = ?', [c.name]);
    if (taken.length) return false;
    await this.db.run(
      `INSERT INTO classifiers (name, kind, classes, object_label, stream, region, model_id, owner)
       VALUES (?, ?, ?::JSON, ?, ?, ?::JSON, ?, ?)`,
      [
        c.name,
        c.kind,
        JSON.stringify(c.classes),
        c.objectLabel,
        c.stream,
        c.region ? JSON.stringify(c.region) : null,
        c.modelId,
        c.owner,
      ],
    );
    return true;
  }

  async get(name: string): Promise<ClassifierRow | null> {
    const r = await this.db.all<RawClassifier>('SELECT * FROM classifiers WHERE name = ?', [name]);
    return r[0] ? classifierOf(r[0]) : null;
  }

  async list(): Promise<ClassifierRow[]> {
    return (await this.db.all<RawClassifier>('SELECT * FROM classifiers ORDER BY name')).map(classifierOf);
  }

  /** Delete a classifier and its examples; false when there was none. */
  async remove(name: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const had = await tx.all('SELECT 1 FROM classifiers WHERE name = ?', [name]);
      await tx.run('DELETE FROM classifier_examples WHERE classifier = ?', [name]);
      await tx.run('DELETE FROM classifier_inbox WHERE classifier = ?', [name]);
      await tx.run('DELETE FROM classifiers WHERE name = ?', [name]);
      return had.length > 0;
    });
  }

  async setTrained(name: string, card: unknown): Promise<void> {
    await this.db.run('UPDATE classifiers SET trained = ?::JSON WHERE name = ?', [JSON.stringify(card), name]);
  }

  /** Label examples (one transaction): a picture and box labelled before keeps its row, with the new class. */
  async label(classifier: string, examples: NewExample[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const e of examples)
        await tx.run(
          `INSERT INTO classifier_examples (id, classifier, class, key, source, source_id, box, embedding, owner)
           VALUES (?, ?, ?, ?, ?, ?, ?::JSON, ?, ?)
           ON CONFLICT (classifier, key) DO UPDATE SET class = excluded.class, owner = excluded.owner`,
          [
            e.id,
            classifier,
            e.class,
            exampleKey(e.source, e.sourceId, e.box),
            e.source,
            e.sourceId,
            e.box ? JSON.stringify(e.box) : null,
            e.embedding,
            e.owner,
          ],
        );
    });
  }

  /** How many examples each class has. */
  async counts(classifier: string): Promise<Record<string, number>> {
    const rows = await this.db.all<{ class: string; n: bigint }>(
      'SELECT class, count(*) AS n FROM classifier_examples WHERE classifier = ? GROUP BY class',
      [classifier],
    );
    return Object.fromEntries(rows.map((r) => [r.class, Number(r.n)]));
  }

  /** A page of examples, newest first (optionally of one class). */
  async examples(classifier: string, cls: string | null, limit: number, offset: number): Promise<ExampleRow[]> {
    const rows = await this.db.all<{
      id: string;
      classifier: string;
      class: string;
      source: string;
      source_id: string;
      box: string | null;
      owner: string | null;
      created_at: Date;
    }>(
      `SELECT id, classifier, class, source, source_id, box, owner, created_at FROM classifier_examples
       WHERE classifier = ? ${cls !== null ? 'AND class = ?' : ''} ORDER BY created_at DESC, id LIMIT ${limit} OFFSET ${offset}`,
      cls !== null ? [classifier, cls] : [classifier],
    );
    return rows.map((r) => ({
      id: r.id,
      classifier: r.classifier,
      class: r.class,
      source: r.source,
      sourceId: r.source_id,
      box: r.box ? JSON.parse(r.box) : null,
      owner: r.owner,
      created: r.created_at.getTime(),
    }));
  }

  /** Every example's class and embedding, in a stable order (what training reads). */
  async trainingSet(classifier: string): Promise<Array<{ class: string; embedding: Float32Array }>> {
    const rows = await this.db.all<{ class: string; embedding: number[] }>(
      'SELECT class, embedding FROM classifier_examples WHERE classifier = ? ORDER BY key',
      [classifier],
    );
    return rows.map((r) => ({ class: r.class, embedding: Float32Array.from(r.embedding) }));
  }

  /** A crop for the "to label" inbox. */
  async addInbox(r: Omit<InboxRow, 'created'> & { classifier: string }): Promise<void> {
    await this.db.run(
      `INSERT INTO classifier_inbox (id, classifier, image_id, box, stream, reason, guess, score)
       VALUES (?, ?, ?, ?::JSON, ?, ?, ?, ?)`,
      [r.id, r.classifier, r.imageId, JSON.stringify(r.box), r.stream, r.reason, r.guess, r.score],
    );
  }

  /** The inbox of a classifier, newest first; or one item of it by id. */
  async inbox(classifier: string, id: string | null = null, limit = 200): Promise<InboxRow[]> {
    const rows = await this.db.all<{
      id: string;
      image_id: string;
      box: string;
      stream: string;
      reason: string;
      guess: string | null;
      score: number | null;
      created_at: Date;
    }>(
      `SELECT id, image_id, box, stream, reason, guess, score, created_at FROM classifier_inbox
       WHERE classifier = ? ${id !== null ? 'AND id = ?' : ''} ORDER BY created_at DESC, id LIMIT ${limit}`,
      id !== null ? [classifier, id] : [classifier],
    );
    return rows.map((r) => ({
      id: r.id,
      imageId: r.image_id,
      box: JSON.parse(r.box),
      stream: r.stream,
      reason: r.reason,
      guess: r.guess,
      score: r.score,
      created: r.created_at.getTime(),
    }));
  }

  async removeInbox(classifier: string, id: string): Promise<boolean> {
    const had = await this.db.all('SELECT 1 FROM classifier_inbox WHERE classifier = ? AND id = ?', [classifier, id]);
    await this.db.run('DELETE FROM classifier_inbox WHERE classifier = ? AND id = ?', [classifier, id]);
    return had.length > 0;
  }

  async removeExample(classifier: string, id: string): Promise<boolean> {
    const had = await this.db.all('SELECT 1 FROM classifier_examples WHERE classifier = ? AND id = ?', [
      classifier,
      id,
    ]);
    await this.db.run('DELETE FROM classifier_examples WHERE classifier = ? AND id = ?', [classifier, id]);
    return had.length > 0;
  }
}
