/**
 * @module Argument parsing shared by every subcommand: node's parseArgs with a `--help` that prints the
 * command's usage. Commands declare their options as data.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AppError } from '../shared/errors';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

export const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const;

export function parse(
  cmd: Command,
  argv: string[],
): { values: Record<string, unknown>; positionals: string[]; help: boolean } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals, help: !!values.help };
  } catch (e) {
    throw new AppError('bad_request', `${(e as Error).message}\n\n${cmd.usage}`);
  }
}
