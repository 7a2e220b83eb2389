/**
 * @module A small JSON document on disk that two processes share: the appliance and the `fovea`
 * command (which must work while the appliance holds the DuckDB lock). Read again whenever its
 * modification time changes; written to a temp file with mode 0600 and renamed, so a reader sees
 * the old or the new document, never half of one. Updates within one process are serialised; two
 * processes writing at the same instant (the CLI while the appliance also writes) could still lose
 * one of the two changes: these files change rarely, and only by hand or at sign-in.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../shared/errors';

export class JsonFile<T> {
  private cache: T;
  private mtime = -1;
  /** Updates of this process, one after another: each reads what the one before it wrote. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly empty: () => T,
  ) {
    this.cache = empty();
  }

  read(): T {
    if (!existsSync(this.path)) {
      this.mtime = 0;
      this.cache = this.empty();
      return this.cache;
    }
    const m = statSync(this.path).mtimeMs;
    if (m !== this.mtime) {
      try {
        this.cache = { ...this.empty(), ...(JSON.parse(readFileSync(this.path, 'utf8')) as T) };
      } catch (e) {
        throw new AppError('internal', `cannot read ${this.path}`, { cause: e });
      }
      this.mtime = m;
    }
    return this.cache;
  }

  /** Change the document: `f` gets the latest one from disk and returns the next. */
  update(f: (doc: T) => T): Promise<T> {
    const next = this.chain.then(() => this.write(f));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async write(f: (doc: T) => T): Promise<T> {
    this.mtime = -1;
    const next = f(structuredClone(this.read()));
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await Bun.write(tmp, JSON.stringify(next, null, 2));
    await chmod(tmp, 0o600);
    await rename(tmp, this.path);
    this.cache = next;
    this.mtime = -1;
    return next;
  }
}
