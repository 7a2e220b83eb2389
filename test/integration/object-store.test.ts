import { readdir } from 'node:fs/promises';
import { expect, test } from 'bun:test';
import { LocalObjectStore } from '../../appliance/objects/local';
import { tempDir } from '../helpers/fixtures';
import { objectStoreContract } from './object-store.contract';

objectStoreContract('local directory', async () => {
  const dir = await tempDir();
  return Object.assign(new LocalObjectStore(dir.path), { [Symbol.asyncDispose]: dir[Symbol.asyncDispose] });
});

test('local writes leave no temporary files behind', async () => {
  await using dir = await tempDir();
  const store = new LocalObjectStore(dir.path);
  const { key } = await store.put(new Uint8Array(1000), 'bin');
  expect(await readdir(`${dir.path}/${key.slice(0, 2)}`)).toEqual([key.slice(3)]);
});
