/**
 * @module `fovea models list|pull`: show the catalog and fetch model files (mirror or upstream),
 * verified by sha256, with progress on a terminal.
 */
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { print, setup } from './context';
import { modelMirror } from '../config/paths';
import { builtinCatalog, findModel, refOf } from '../models/catalog';
import { pullModel, readIfValid, acceptedHashes } from '../models/pull';
import { pathsOf } from '../config/paths';
import { AppError } from '../shared/errors';
import { join } from 'node:path';

function progressBar(label: string, done: number, total: number | null): void {
  if (!process.stderr.isTTY) return;
  const pct = total ? Math.floor((done / total) * 100) : null;
  process.stderr.write(`\r${label}: ${(done / 1e6).toFixed(1)} MB${pct !== null ? ` (${pct}%)` : ''}   `);
  if (total && done >= total) process.stderr.write('\n');
}

export const models: Command = {
  name: 'models',
  summary: 'list the model catalog or pull model files',
  usage: `Usage: fovea models list [--config FILE]
       fovea models pull [MODEL@VERSION ...] [--from DIR] [--all] [--config FILE]

pull fetches the configured embedding model (or the named ones, or --all) into the models
directory, from DIR (a mirror) when it holds a verified copy, else from the pinned upstream URL.
Each file is checked against its sha256. Default mirror: models.mirror, else ../shared/models.`,
  options: { ...CONFIG_OPTION, from: { type: 'string' }, all: { type: 'boolean' } },
  async run(values, [action, ...refs]) {
    const { config } = setup(values);
    const catalog = builtinCatalog();
    const dir = pathsOf(config).models;
    if (action === 'list') {
      for (const m of catalog.models) {
        const present =
          m.available && (await readIfValid(join(dir, m.file), acceptedHashes(m)))
            ? 'present'
            : m.available
              ? 'missing'
              : 'unavailable';
        print(`${refOf(m).padEnd(24)} ${m.task.padEnd(9)} ${present.padEnd(12)} ${m.title}`);
      }
      return 0;
    }
    if (action === 'pull') {
      const wanted = values.all
        ? catalog.models.filter((m) => m.available)
        : (refs.length ? refs : [config.models.embed]).map((r) => findModel(catalog, r));
      const mirror = (values.from as string | undefined) ?? modelMirror(config);
      for (const m of wanted) {
        const outcome = await pullModel(m, catalog, { dir, mirror, progress: progressBar });
        print(
          `${refOf(m)}: ${outcome === 'present' ? 'already present, verified' : `fetched from ${outcome === 'mirror' ? mirror : m.source.url}, verified`}`,
        );
      }
      return 0;
    }
    throw new AppError('bad_request', models.usage);
  },
};
