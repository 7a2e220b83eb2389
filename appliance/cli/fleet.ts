/**
 * @module `fovea fleet validate|render|schema`: the checks the agent runs before it applies a
 * revision, runnable by hand, as a Git hook or in the fleet repo's CI.
 */
import { resolve, join } from 'node:path';
import type { Command } from './args';
import { print } from './context';
import { readFleetRepo, formatFleetProblem } from '../fleet/repo';
import { renderDevice, validateFleet } from '../fleet/render';
import { DeviceFile, FleetFile, GroupFile } from '../fleet/schema';
import { editorSchema } from '../config/schema';
import { builtinCatalog } from '../models/catalog';
import { AppError } from '../shared/errors';

const SCHEMAS = { fleet: FleetFile, group: GroupFile, device: DeviceFile } as const;

export const fleet: Command = {
  name: 'fleet',
  summary: "validate a fleet repo, render a device's config from it, or print its JSON Schemas",
  usage: `Usage: fovea fleet validate [DIR]
       fovea fleet render --device ID [DIR]
       fovea fleet schema fleet|group|device

validate checks every file of the fleet repo in DIR (default: .): schemas, references (groups,
pipelines, stages, models), secrets given as references, and the rendered config of every device;
it prints each problem as file:line and exits 1 if there is any. render prints the effective config
of one device (defaults < its groups < its own file) as JSON. schema prints the JSON Schema of a
file kind, for editors.`,
  options: { device: { type: 'string', short: 'd' } },
  async run(values, [action, dir = '.']) {
    if (action === 'schema') {
      const s = SCHEMAS[dir as keyof typeof SCHEMAS];
      if (!s) throw new AppError('bad_request', fleet.usage);
      print(JSON.stringify(editorSchema(s), null, 2));
      return 0;
    }
    const root = resolve(dir);
    const repo = readFleetRepo(root);
    const pipelinesDir = join(root, 'pipelines');
    if (action === 'validate') {
      const { problems, devices } = validateFleet(repo, builtinCatalog(), pipelinesDir);
      for (const p of problems) print(formatFleetProblem(p));
      print(
        problems.length
          ? `${problems.length} problem${problems.length > 1 ? 's' : ''}`
          : `fleet ok: ${devices.length} device${devices.length === 1 ? '' : 's'}, ${repo.groups.size} group${repo.groups.size === 1 ? '' : 's'}, ${repo.pipelines.size} pipeline${repo.pipelines.size === 1 ? '' : 's'}`,
      );
      return problems.length ? 1 : 0;
    }
    if (action === 'render') {
      if (typeof values.device !== 'string')
        throw new AppError('bad_request', `--device is required\n\n${fleet.usage}`);
      const r = renderDevice(repo, values.device, pipelinesDir);
      const problems = [...repo.problems, ...r.problems];
      if (problems.length || !r.config) {
        for (const p of problems) print(formatFleetProblem(p));
        return 1;
      }
      print(JSON.stringify({ branch: r.branch, config: r.config }, null, 2));
      return 0;
    }
    throw new AppError('bad_request', fleet.usage);
  },
};
