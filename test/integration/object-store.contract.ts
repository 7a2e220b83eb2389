/** @module The ObjectStore contract: every implementation (local now, S3 later) must pass it. */
import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import type { ObjectStore } from '../../appliance/objects/port';

export function objectStoreContract(name: string, make: () => Promise<ObjectStore & Partial<AsyncDisposable>>) {
  describe(`ObjectStore contract: ${name}`, () => {
    test('put is content-addressed and idempotent; get returns the same bytes', async () => {
      const store = await make();
      const data = new TextEncoder().encode(`fovea object ${Math.random()}`);
      const sha = createHash('sha256').update(data).digest('hex');
      const a = await store.put(data, 'txt');
      const b = await store.put(data, 'txt');
      const blob = await store.get(a.key);
      expect([a, b, new Uint8Array(await blob!.arrayBuffer()), await store.has(a.key)]).toEqual([
        { key: `${sha.slice(0, 2)}/${sha}.txt`, sha256: sha, size: data.byteLength },
        a,
        data,
        true,
      ]);
      await store[Symbol.asyncDispose]?.();
    });

    test('delete removes; get of a missing key is null; a traversal key is refused', async () => {
      const store = await make();
      const { key } = await store.put(new Uint8Array([1, 2, 3]), 'bin');
      await store.delete(key);
      expect([await store.has(key), await store.get(key), await store.healthy()]).toEqual([false, null, true]);
      await expect(store.get('../../etc/passwd')).rejects.toThrow('invalid object key');
      await store[Symbol.asyncDispose]?.();
    });
  });
}
