/**
 * @module A run's files on disk: `<runs dir>/<run id>/in/` holds its uploaded inputs, `out/` what its
 * stages made (annotated images). Inputs are written before the run is recorded and removed again
 * when it cannot be, so a run row never points at a missing file; everything goes with the run.
 */
import { mkdir, rm } from 'node:fs/promises';
import { writeAtomic } from '../shared/atomic';
import { join, normalize } from 'node:path';
import { AppError, diskFull, isDiskFull } from '../shared/errors';
import type { OutputPort } from '../pipeline/types';

const pad = (n: number) => String(n).padStart(6, '0');

export class RunFiles {
  constructor(readonly root: string) {}

  dir(runId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(runId)) throw new AppError('bad_request', 'not a run id');
    return join(this.root, runId);
  }

  /** Write uploads as in/<index>.<ext>, each written whole; on any failure nothing of the run stays. */
  async writeInputs(runId: string, files: Array<{ idx: number; ext: string; data: Uint8Array }>): Promise<string[]> {
    const dir = join(this.dir(runId), 'in');
    try {
      await mkdir(dir, { recursive: true });
      const refs: string[] = [];
      for (const f of files) {
        const ref = `in/${pad(f.idx)}.${f.ext}`;
        await writeAtomic(join(this.dir(runId), ref), f.data);
        refs.push(ref);
      }
      return refs;
    } catch (e) {
      await this.remove(runId);
      if (isDiskFull(e)) throw diskFull(e, "the run's inputs");
      throw new AppError('store_failed', "the run's inputs could not be written", { cause: e });
    }
  }

  /** Where an item's stages put their files: out/<index>-<stage>.<ext>. */
  outputs(runId: string, idx: number): OutputPort {
    return {
      put: async (stage, ext, data) => {
        const ref = `out/${pad(idx)}-${stage}.${ext}`;
        await mkdir(join(this.dir(runId), 'out'), { recursive: true });
        await writeAtomic(join(this.dir(runId), ref), data);
        return ref;
      },
    };
  }

  /** The absolute path of a file of the run (`in/…` or `out/…`), or null for anything else. */
  path(runId: string, ref: string): string | null {
    const n = normalize(ref);
    if (!/^(in|out)\/[0-9]{6}(-[a-z0-9_]+)?\.[a-z0-9]{1,5}$/.test(n)) return null;
    return join(this.dir(runId), n);
  }

  read(runId: string, ref: string): Promise<Uint8Array> {
    const p = this.path(runId, ref);
    if (!p) throw new AppError('not_found', `no file ${ref} in run ${runId}`);
    return Bun.file(p)
      .bytes()
      .catch((e: unknown) => {
        throw new AppError('not_found', `the run's file ${ref} is missing`, { cause: e });
      });
  }

  remove(runId: string): Promise<void> {
    return rm(this.dir(runId), { recursive: true, force: true });
  }
}
