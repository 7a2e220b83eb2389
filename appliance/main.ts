#!/usr/bin/env bun
/**
 * @module The `fovea` command: dispatches to a subcommand. The only place that wires adapters
 * together is runtime.ts, called from the commands that need it.
 */
import './native';
import { parse, type Command } from './cli/args';
import { serve } from './cli/serve';
import { apikey } from './cli/apikey';
import { models } from './cli/models';
import { db } from './cli/db';
import { analytics } from './cli/analytics';
import { demo } from './cli/demo';
import { version, configCmd } from './cli/misc';
import { watch, token } from './cli/watch';
import { fleet } from './cli/fleet';
import { classifiers } from './cli/classifiers';
import { user } from './cli/user';
import { backup, restore } from './cli/backup';
import { images } from './cli/images';
import { isAppError, messageOf } from './shared/errors';
import { scrub } from './shared/scrub';

const commands: Command[] = [
  serve,
  demo,
  apikey,
  user,
  models,
  db,
  images,
  analytics,
  backup,
  restore,
  watch,
  token,
  fleet,
  classifiers,
  configCmd,
  version,
];

const usage = `Usage: fovea <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(11)} ${c.summary}`).join('\n')}

Run 'fovea <command> --help' for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage);
    return name ? 0 : 2;
  }
  if (name === '--version') return version.run({}, []);
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    console.error(`fovea: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  try {
    const { values, positionals, help } = parse(cmd, rest);
    if (help) {
      console.log(cmd.usage);
      return 0;
    }
    return await cmd.run(values, positionals);
  } catch (e) {
    console.error(`fovea ${name}: ${scrub(messageOf(e))}`);
    if (!isAppError(e) && process.env.FOVEA_DEBUG) console.error(e);
    return isAppError(e) && e.code === 'bad_request' ? 2 : 1;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
