/**
 * @module Local-directory object store. Writes go to a temporary file in the same directory, are
 * fsynced, then renamed over the final name, so a crash leaves either no object or a whole one.
 */
import { mkdir, rm, stat, access, constants } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { writeAtomic } from '../shared/atomic';
import { contentKey, isValidKey, type ObjectStore, type StoredObject } from './port';
import { AppError, diskFull, isDiskFull } from '../shared/errors';

export class LocalObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  /** The file of a key (the sync worker uploads from it). */
  pathOf(key: string): string {
    if (!isValidKey(key)) throw new AppError('bad_request', `invalid object key ${JSON.stringify(key)}`);
    return join(this.root, key);
  }

  async put(data: Uint8Array, ext: string): Promise<StoredObject> {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const key = contentKey(sha256, ext);
    const final = this.pathOf(key);
    if (await this.has(key)) return { key, sha256, size: data.byteLength };
    await mkdir(dirname(final), { recursive: true });
    try {
      await writeAtomic(final, data);
    } catch (e) {
      if (isDiskFull(e)) throw diskFull(e, 'the file');
      throw e;
    }
    return { key, sha256, size: data.byteLength };
  }

  async get(key: string): Promise<Blob | null> {
    const file = Bun.file(this.pathOf(key));
    return (await file.exists()) ? file : null;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async has(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch {
      return false;
    }
  }

  async healthy(): Promise<boolean> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }
}
