/**
 * @module The object store port: content-addressed blobs (originals, thumbnails, later snapshots).
 * The local directory implements it now; S3 implements the same contract in the sync issue, and both
 * pass one contract suite (test/integration/object-store.contract.ts).
 */

export interface StoredObject {
  /** Stable key derived from the content: `<sha256[0:2]>/<sha256>.<ext>`. */
  key: string;
  sha256: string;
  size: number;
}

export interface ObjectStore {
  /** Store bytes under their content address; storing the same bytes twice is a no-op. */
  put(data: Uint8Array, ext: string): Promise<StoredObject>;
  /** The object as a Blob (streamable), or null when absent. */
  get(key: string): Promise<Blob | null>;
  delete(key: string): Promise<void>;
  has(key: string): Promise<boolean>;
  /** Whether the store can take writes now. */
  healthy(): Promise<boolean>;
}

/** The content address of bytes: pure, shared by every implementation. */
export function contentKey(sha256: string, ext: string): string {
  return `${sha256.slice(0, 2)}/${sha256}.${ext.replace(/^\./, '').toLowerCase()}`;
}

const KEY = /^[0-9a-f]{2}\/[0-9a-f]{64}\.[a-z0-9]{1,8}$/;

/** Reject keys that could escape the store (path traversal) or were not made by contentKey. */
export function isValidKey(key: string): boolean {
  return KEY.test(key) && key.slice(0, 2) === key.slice(3, 5);
}
