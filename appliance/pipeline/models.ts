/**
 * @module Model sessions shared by every stream: a model is opened once, on first use, whichever
 * pipelines and streams need it (onnxruntime sessions are safe to run concurrently).
 */
import cocoText from '../../models/labels/coco.txt' with { type: 'text' };
import imagenetText from '../../models/labels/imagenet.txt' with { type: 'text' };
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

const lines = (text: string) =>
  text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

export const LABELS: Record<string, readonly string[]> = { coco: lines(cocoText), imagenet: lines(imagenetText) };

export interface LoadedModel {
  entry: ModelEntry;
  session: InferenceSession;
  labels: readonly string[];
}

export class ModelPool {
  private open = new Map<string, Promise<LoadedModel>>();

  constructor(
    private readonly o: {
      catalog: Catalog;
      dir: string;
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

  async close(): Promise<void> {
    for (const p of this.open.values())
      await p.then(
        (m) => m.session.close(),
        () => undefined,
      );
    this.open.clear();
  }
}
