/**
 * @module `fovea classifiers export <name> <fleet-repo>`: copy a classifier saved on this box into a
 * fleet repo's working tree as `classifiers/<name>/` (head.onnx, card.json: classes, evaluation,
 * the embedding model and its sha256), ready to commit. The agent rolls it out with the pipelines
 * that use it (`classify@1` or `state@1` with `model: custom/<name>`); a box whose embedding model
 * differs refuses it, naming both. Reads files only: the appliance may be running.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { print, setup } from './context';
import { pathsOf } from '../config/paths';
import { AppError } from '../shared/errors';

export const classifiers: Command = {
  name: 'classifiers',
  summary: 'export a classifier trained on this box into a fleet repo',
  usage: `Usage: fovea classifiers export NAME FLEET_REPO_DIR [--config FILE]

Copies <state>/classifiers/NAME/ (head.onnx and card.json) to FLEET_REPO_DIR/classifiers/NAME/.
Commit and push it with the pipelines that use model: custom/NAME.`,
  options: { ...CONFIG_OPTION },
  async run(values, [action, name, repo]) {
    const { config } = setup(values);
    if (action !== 'export' || !name || !repo) throw new AppError('bad_request', classifiers.usage);
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) throw new AppError('bad_request', `${name} is not a classifier name`);
    const from = join(pathsOf(config).classifiers, name);
    if (!existsSync(join(from, 'card.json')) || !existsSync(join(from, 'head.onnx')))
      throw new AppError('not_found', `no saved classifier ${name} in ${from} (save it on the Classifiers page first)`);
    if (!existsSync(join(resolve(repo), 'fleet.yaml')) && !existsSync(join(resolve(repo), 'devices')))
      throw new AppError('bad_request', `${repo} does not look like a fleet repo (no fleet.yaml, no devices/)`);
    const card = JSON.parse(await readFile(join(from, 'card.json'), 'utf8')) as {
      onnx_sha256: string;
      classes: string[];
      embedding_model: string;
      evaluation?: { accuracy: number };
    };
    const sum = createHash('sha256')
      .update(await readFile(join(from, 'head.onnx')))
      .digest('hex');
    if (sum !== card.onnx_sha256) throw new AppError('conflict', `${from}/head.onnx is not the head its card names`);
    const to = join(resolve(repo), 'classifiers', name);
    await mkdir(to, { recursive: true });
    await copyFile(join(from, 'head.onnx'), join(to, 'head.onnx'));
    await copyFile(join(from, 'card.json'), join(to, 'card.json'));
    print(
      `exported ${name} (${card.classes.join(', ')}; ${card.embedding_model}; k-fold accuracy ${card.evaluation ? `${Math.round(card.evaluation.accuracy * 100)} %` : 'unknown'}) to ${to}`,
    );
    return 0;
  },
};
