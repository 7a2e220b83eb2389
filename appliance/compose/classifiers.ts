/**
 * @module Classifiers wired to the box: their store, the embedding model examples are embedded with
 * (its catalog sha256 goes on every head's card), heads written under `<state>/classifiers/<name>/`
 * (`head.onnx` and `card.json`, each written whole), and pictures embedded for labelling (a whole
 * picture's stored embedding when it is this model's, else the picture or its box embedded anew).
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema';
import type { Db } from '../store/duckdb';
import { ClassifierStore } from '../store/classifiers';
import { getEmbedding } from '../store/images';
import { Classifiers, type Box } from '../classifiers/service';
import type { Embedder } from '../inference/embedder';
import type { ImageService } from '../images/service';
import type { Imaging } from '../imaging/port';
import { findModel, type Catalog } from '../models/catalog';
import { writeAtomic } from '../shared/atomic';
import type { InboxPort, SnapshotPort } from '../pipeline/types';
import { VERSION } from '../shared/version';
import { AppError } from '../shared/errors';
import { getEvent } from '../store/results';
import type { ReviewStore } from '../store/recordings';
import type { Streams } from '../ingest/streams';
import type { SubLabelled } from '../contracts/results';

/** `dir`: where heads are written (paths.classifiers). */
export function classifiersOf(deps: { db: Db; catalog: Catalog; embedder: Embedder; dir: string }): {
  store: ClassifierStore;
  service: Classifiers;
} {
  const store = new ClassifierStore(deps.db);
  let sha256 = '';
  try {
    sha256 = findModel(deps.catalog, deps.embedder.modelRef).sha256;
  } catch {
    // A model outside the catalog (tests' own files): its card says so by an empty sha256.
  }
  const service = new Classifiers({
    store,
    embedding: { ref: deps.embedder.modelRef, sha256 },
    write: async (name, onnx, card) => {
      const dir = join(deps.dir, name);
      await mkdir(dir, { recursive: true });
      const sum = createHash('sha256').update(onnx).digest('hex');
      await writeAtomic(join(dir, 'head.onnx'), onnx, 0o644);
      await writeAtomic(
        join(dir, 'card.json'),
        new TextEncoder().encode(`${JSON.stringify({ ...card, onnx_sha256: sum }, null, 2)}\n`),
        0o644,
      );
      return sum;
    },
    newId: () => Bun.randomUUIDv7(),
    now: Date.now,
    version: VERSION,
  });
  return { store, service };
}

/** The embedding of a picture `viewer` may see, whole or a box of it (for labelling). */
export const pictureEmbedder =
  (rt: { db: Db; images: ImageService; imaging: Imaging; embedder: Embedder; config: Config }) =>
  async (item: { id: string; box: Box | null }, viewer: { user: string | null; admin: boolean }) => {
    const row = await rt.images.get(item.id, viewer);
    if (!item.box) {
      const stored = await getEmbedding(rt.db, row.id);
      if (stored && stored.model_id === rt.embedder.modelRef) return Float32Array.from(stored.embedding);
    }
    const data = new Uint8Array(await (await rt.images.open(row.storage_key)).arrayBuffer());
    const picture = item.box ? await rt.imaging.cropJpeg(data, item.box, rt.config.api.max_pixels) : data;
    return rt.embedder.embed(picture);
  };

/** The "to label" inbox: the crop's frame kept as a snapshot image, and the box in it, with the guess. */
export const inboxOf = (snapshots: SnapshotPort, store: ClassifierStore): InboxPort => ({
  async propose(frame, box, item) {
    const id = Bun.randomUUIDv7();
    const snap = await snapshots.take(frame, box, { label: item.guess ?? 'unsure', eventType: 'inbox', eventId: id });
    if (!snap.imageId || !snap.box) return;
    await store.addInbox({ id, ...item, imageId: snap.imageId, box: snap.box, stream: frame.stream });
  },
});

type Crop = { id: string; box: Box };
const snapshotBoxOf = (payload: string) => (JSON.parse(payload) as SubLabelled).snapshot_box ?? null;

/**
 * Examples from what the box saw, as pictures and boxes to label: an event's object (its snapshot
 * and where the object is in it), a review item's objects (one per tracked object), and a state
 * classifier's region cut from its stream's latest frame (kept as a snapshot image, like the inbox's).
 */
export const exampleSources = (rt: {
  db: Db;
  reviewStore: ReviewStore;
  streams: Streams;
  snapshots: SnapshotPort;
  classifiers: Classifiers;
}) => ({
  async event(id: string): Promise<Crop> {
    const e = await getEvent(rt.db, id);
    if (!e) throw new AppError('not_found', `no event ${id}`);
    const box = snapshotBoxOf(e.payload);
    if (!e.image_id || !box) throw new AppError('validation_failed', `event ${id} has no snapshot of its object`);
    return { id: e.image_id, box };
  },
  async review(id: string, user: string): Promise<Crop[]> {
    const it = await rt.reviewStore.get(id, user);
    if (!it) throw new AppError('not_found', `no review item ${id}`);
    const byTrack = new Map<string, Crop>();
    for (const eventId of it.events) {
      const e = await getEvent(rt.db, eventId);
      const box = e && snapshotBoxOf(e.payload);
      const track = String(e?.track_id ?? eventId);
      if (e?.image_id && box && !byTrack.has(track)) byTrack.set(track, { id: e.image_id, box });
    }
    if (!byTrack.size) throw new AppError('validation_failed', `review item ${id} has no snapshot of an object`);
    return [...byTrack.values()];
  },
  async frame(name: string): Promise<Crop> {
    const c = await rt.classifiers.get(name);
    if (c.kind !== 'state' || !c.stream || !c.region)
      throw new AppError('validation_failed', `${name} is an object classifier: label its objects, not frames`);
    const frame = rt.streams.get(c.stream)?.latest;
    if (!frame) throw new AppError('conflict', `stream ${c.stream} has no analysed frame yet`);
    const w = frame.letterbox.srcWidth || frame.width;
    const h = frame.letterbox.srcHeight || frame.height;
    const [x1, y1, x2, y2] = c.region;
    const snap = await rt.snapshots.take(frame, [x1 * w, y1 * h, x2 * w, y2 * h], {
      label: name,
      eventType: 'label',
      eventId: Bun.randomUUIDv7(),
    });
    if (!snap.imageId || !snap.box) throw new AppError('unavailable', `the frame of ${c.stream} could not be kept`);
    return { id: snap.imageId, box: snap.box };
  },
});
