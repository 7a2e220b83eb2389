/**
 * @module Whole-file writes: a temporary file beside the target, written, fsynced, then renamed over
 * it, so a crash leaves the old file or the new one, never a part. A temp file left by a failure is
 * removed (on a full disk it would hold the very space that is missing).
 */
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';

export async function writeAtomic(path: string, data: Uint8Array, mode = 0o640): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
