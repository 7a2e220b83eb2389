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
import { benchModel } from './model-bench';
import type { Provider } from '../inference/onnx';

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
       fovea models bench MODEL@VERSION --provider tensorrt|cuda|cpu [--batch N] [--seconds S] [--config FILE]

pull fetches the configured embedding model (or the named ones, or --all) into the models
directory, from DIR (a mirror) when it holds a verified copy, else from the pinned upstream URL.
Each file is checked against its sha256. Default mirror: models.mirror, else ../shared/models.

bench runs one model (pulled first) on one provider, with no fallback to another, on batches of
N inputs (default 1) for S seconds (default 10), and prints one JSON line: images/s, p50 and p99 ms
of a run. A provider that cannot open the model is an error naming why.`,
  options: {
    ...CONFIG_OPTION,
    from: { type: 'string' },
    all: { type: 'boolean' },
    provider: { type: 'string' },
    batch: { type: 'string' },
    seconds: { type: 'string' },
  },
  async run(values, [action, ...refs]) {
    const { config, log } = setup(values);
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
    if (action === 'bench') {
      const [ref] = refs;
      const provider = values.provider as string | undefined;
      const batch = Number(values.batch ?? 1);
      const seconds = Number(values.seconds ?? 10);
      if (!ref || !provider || !['tensorrt', 'cuda', 'cpu'].includes(provider))
        throw new AppError('bad_request', `name a model and --provider tensorrt, cuda or cpu\n\n${models.usage}`);
      if (!Number.isInteger(batch) || batch < 1 || batch > 64 || !(seconds > 0 && seconds <= 600))
        throw new AppError('bad_request', '--batch must be 1 to 64 and --seconds over 0 and at most 600');
      const entry = findModel(catalog, ref);
      await pullModel(entry, catalog, { dir, mirror: modelMirror(config) });
      const r = await benchModel(
        join(dir, entry.file),
        { ...entry, ref: refOf(entry) },
        {
          provider: provider as Provider,
          batch,
          seconds,
          threads: config.models.threads,
          spin: config.models.spin,
          log,
        },
      );
      print(JSON.stringify(r));
      return 0;
    }
    throw new AppError('bad_request', models.usage);
  },
};
