/**
 * @module Model sessions shared by every stream: a model is opened once, on first use, whichever
 * pipelines and streams need it (onnxruntime sessions are safe to run concurrently).
 */
import cocoText from '../../models/labels/coco.txt' with { type: 'text' };
import imagenetText from '../../models/labels/imagenet.txt' with { type: 'text' };
import ppocrKeysText from '../../models/labels/ppocr-keys-v1.txt' with { type: 'text' };
import { findModel, refOf, type Catalog, type ModelEntry } from '../models/catalog';
import { verifiedPath } from '../models/pull';
import {
  openSession,
  type GpuOptions,
  type InferenceObserver,
  type InferenceSession,
  type Provider,
} from '../inference/onnx';
import type { Logger } from '../shared/log';
import { AppError } from '../shared/errors';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const lines = (text: string) =>
  text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

export const LABELS: Record<string, readonly string[]> = {
  coco: lines(cocoText),
  imagenet: lines(imagenetText),
  // A recogniser's characters, one a line, untrimmed: one of them is the ideographic space.
  'ppocr-keys-v1': ppocrKeysText.replace(/\r?\n$/, '').split(/\r?\n/),
};

export interface LoadedModel {
  entry: ModelEntry;
  session: InferenceSession;
  labels: readonly string[];
}

/** What a classifier head's card says that a stage needs (classifiers/service.ts writes it). */
export interface HeadCard {
  name: string;
  kind: 'object' | 'state';
  classes: string[];
  object_label: string | null;
  stream: string | null;
  region: [number, number, number, number] | null;
  embedding_model: string;
  embedding_sha256: string;
  onnx_sha256: string;
}

export interface LoadedHead {
  card: HeadCard;
  session: InferenceSession;
}

export class ModelPool {
  private open = new Map<string, Promise<LoadedModel>>();
  private heads = new Map<string, Promise<LoadedHead>>();

  constructor(
    private readonly o: {
      catalog: Catalog;
      dir: string;
      /** Where classifiers trained on the box keep their heads (`<name>/head.onnx`, `<name>/card.json`). */
      heads?: string;
      providers: Provider[];
      threads: number;
      spin?: boolean;
      gpu?: GpuOptions;
      log: Logger;
      observe?: InferenceObserver;
    },
  ) {}

  get catalog(): Catalog {
    return this.o.catalog;
  }

  /** The provider each opened model runs on (id@version), and why the ones before it could not. */
  readonly providers = new Map<string, { provider: Provider; fallbacks: readonly string[] }>();

  get(ref: string): Promise<LoadedModel> {
    const entry = findModel(this.o.catalog, ref);
    const key = refOf(entry);
    let p = this.open.get(key);
    if (!p) {
      p = (async () => {
        const session = await openSession(await verifiedPath(entry, this.o.dir), {
          providers: this.o.providers,
          threads: this.o.threads,
          spin: this.o.spin,
          gpu: this.o.gpu,
          log: this.o.log,
          ref: key,
          observe: this.o.observe,
        });
        this.providers.set(key, { provider: session.provider, fallbacks: session.fallbacks ?? [] });
        return { entry, session, labels: entry.labels ? (LABELS[entry.labels] ?? []) : [] };
      })();
      p.catch(() => this.open.delete(key));
      this.open.set(key, p);
    }
    return p;
  }

  /**
   * A classifier head (`custom/<name>`), with its card: from the first of `dirs` that has it (a
   * fleet revision's `classifiers/`), else the one trained on this box. The file must be the one its
   * card names (sha256). Opened once per file.
   */
  head(name: string, dirs: string[] = []): Promise<LoadedHead> {
    const all = [...dirs, ...(this.o.heads ? [this.o.heads] : [])];
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name))
      return Promise.reject(new AppError('config_invalid', `custom/${name} is not a classifier name`));
    return (async () => {
      const dir = all.find((d) => existsSync(join(d, name, 'card.json')));
      if (!dir)
        throw new AppError(
          'config_invalid',
          `no classifier custom/${name} on this box (train and save it, or add it to the fleet repo)`,
        );
      const cardPath = join(dir, name, 'card.json');
      const onnxPath = join(dir, name, 'head.onnx');
      let card: HeadCard;
      try {
        card = JSON.parse(await readFile(cardPath, 'utf8')) as HeadCard;
      } catch {
        throw new AppError('config_invalid', `${cardPath} is not JSON`);
      }
      const bytes = await readFile(onnxPath);
      const sum = createHash('sha256').update(bytes).digest('hex');
      if (sum !== card.onnx_sha256)
        throw new AppError(
          'config_invalid',
          `the head of custom/${name} is not the one its card names (sha256 ${sum.slice(0, 12)}…, card ${String(card.onnx_sha256).slice(0, 12)}…)`,
        );
      let p = this.heads.get(sum);
      if (!p) {
        p = openSession(onnxPath, {
          providers: ['cpu'],
          threads: 1,
          log: this.o.log,
          ref: `custom/${name}`,
          observe: this.o.observe,
        }).then((session) => ({ card, session }));
        p.catch(() => this.heads.delete(sum));
        this.heads.set(sum, p);
      }
      const loaded = await p;
      return { ...loaded, card };
    })();
  }

  async close(): Promise<void> {
    for (const p of this.heads.values())
      await p.then(
        (m) => m.session.close(),
        () => undefined,
      );
    this.heads.clear();
    for (const p of this.open.values())
      await p.then(
        (m) => m.session.close(),
        () => undefined,
      );
    this.open.clear();
  }
}
