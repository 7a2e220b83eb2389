/**
 * @module The image rows a box reads again and again (an image's page, its thumbnail's check, the
 * rows behind search hits), held in memory, least recently used out first, by id and by vector key.
 * The image service is the only writer of the images table, so it keeps this current: a row is put
 * when it is registered or read, and dropped when it is changed or deleted. Pure.
 */
import type { ImageRow } from '../store/images';

export class RowCache {
  private readonly byId = new Map<string, ImageRow>();
  private readonly byKey = new Map<bigint, ImageRow>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: string): ImageRow | undefined {
    const r = this.byId.get(id);
    if (r) this.touch(r);
    return r;
  }

  /** The rows of these vector keys that are held, and the keys that are not. */
  byKeys(keys: bigint[]): { rows: ImageRow[]; missing: bigint[] } {
    const rows: ImageRow[] = [];
    const missing: bigint[] = [];
    for (const k of keys) {
      const r = this.byKey.get(k);
      if (r) {
        this.touch(r);
        rows.push(r);
      } else missing.push(k);
    }
    return { rows, missing };
  }

  put(r: ImageRow): void {
    this.drop(r.id);
    this.byId.set(r.id, r);
    this.byKey.set(BigInt(r.vec_key), r);
    if (this.byId.size > this.max) {
      const oldest = this.byId.values().next().value as ImageRow;
      this.drop(oldest.id);
    }
  }

  drop(id: string): void {
    const r = this.byId.get(id);
    if (!r) return;
    this.byId.delete(id);
    this.byKey.delete(BigInt(r.vec_key));
  }

  clear(): void {
    this.byId.clear();
    this.byKey.clear();
  }

  /** Most recently used last: re-inserting moves a row to the end of both maps' order. */
  private touch(r: ImageRow): void {
    this.byId.delete(r.id);
    this.byId.set(r.id, r);
  }
}
