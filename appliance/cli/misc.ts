/**
 * @module `fovea version` and `fovea config check|schema|print`.
 */
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { print, setup } from './context';
import { editorSchema } from '../config/schema';
import { VERSION } from '../shared/version';
import { AppError } from '../shared/errors';

export const version: Command = {
  name: 'version',
  summary: 'print the version',
  usage: 'Usage: fovea version\n\nPrints the version and the runtime it was built with.',
  options: {},
  async run() {
    print(`fovea ${VERSION} (bun ${Bun.version}, ${process.platform}-${process.arch})`);
    return 0;
  },
};

export const configCmd: Command = {
  name: 'config',
  summary: 'check a config file, print the effective config, or print its JSON Schema',
  usage: `Usage: fovea config check [--config FILE]
       fovea config print [--config FILE]
       fovea config schema

check exits non-zero with file:line errors; print shows the effective config (defaults and
FOVEA_* overrides applied, secrets masked); schema prints the JSON Schema for editors.`,
  options: { ...CONFIG_OPTION },
  async run(values, [action]) {
    if (action === 'schema') {
      print(JSON.stringify(editorSchema(), null, 2));
      return 0;
    }
    const { config } = setup(values);
    if (action === 'check') {
      print('config ok');
      return 0;
    }
    if (action === 'print') {
      print(JSON.stringify(config, null, 2));
      return 0;
    }
    throw new AppError('bad_request', configCmd.usage);
  },
};
