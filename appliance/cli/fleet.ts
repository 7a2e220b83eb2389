/**
 * @module `fovea fleet validate|render|schema`: the checks the agent runs before it applies a
 * revision, runnable by hand, as a Git hook or in the fleet repo's CI.
 */
import { resolve, join } from 'node:path';
import type { Command } from './args';
import { print, setup } from './context';
import { pathsOf, modelMirror, sharedMirror } from '../config/paths';
import { pullModels } from '../models/pull';
import { sharpImaging } from '../imaging/sharp';
import { spawnFfmpeg } from '../decode/ffmpeg';
import { realTimers } from '../shared/timers';
import { configureLogs } from '../shared/log';
import { modelPoolOf } from '../compose/gpu';
import { runGoldenSet } from '../fleet/golden-run';
import { fleetQuery, fleetSearch } from './fleet-data';
import { GoldenFile, readGolden, tally } from '../fleet/golden';

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
import { readFleetRepo, formatFleetProblem } from '../fleet/repo';
import { renderDevice, validateFleet } from '../fleet/render';
import { DeviceFile, FleetFile, GroupFile } from '../fleet/schema';
import { editorSchema } from '../config/schema';
import { builtinCatalog } from '../models/catalog';
import { AppError } from '../shared/errors';

const SCHEMAS = { fleet: FleetFile, group: GroupFile, device: DeviceFile, golden: GoldenFile } as const;

export const fleet: Command = {
  name: 'fleet',
  summary: "validate a fleet repo (and its golden clips), render a device's config, search and query the fleet's data",
  usage: `Usage: fovea fleet validate [--golden] [DIR]
       fovea fleet render --device ID [DIR]
       fovea fleet schema fleet|group|device|golden
       fovea fleet search --image FILE [--since DATE] [--device ID] [--limit N] [--json] --config FILE
       fovea fleet query "SQL" [--json] --config FILE

validate checks every file of the fleet repo in DIR (default: .): schemas, references (groups,
pipelines, stages, models), secrets given as references, and the rendered config of every device;
it prints each problem as file:line and exits 1 if there is any. render prints the effective config
of one device (defaults < its groups < its own file) as JSON. schema prints the JSON Schema of a
file kind, for editors.

--golden also runs every golden clip (golden/<name>.yaml) through its real pipeline at full speed
and judges it against its expectations; a broken expectation is a problem at its file:line. Models
come from the config's models dir (--config FILE), pulled when missing.

search and query read what every box exported to the bucket of the config's sync section (the
Parquet tables under <prefix>/_tables/), mirrored first into a local cache (--cache DIR, default
<state_dir>/fleet-tables; --offline reads the cache as it is). search embeds the photo here with
models.embed and prints the nearest images of the whole fleet: score, device, image id, name and
a presigned URL. query runs DuckDB SQL over the tables events, detections, images,
analytics_daily, shadow_events and shadow_detections, each with device and date columns; rows keep
their revision and model.`,
  options: {
    device: { type: 'string', short: 'd' },
    golden: { type: 'boolean' },
    config: { type: 'string', short: 'c' },
    image: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    cache: { type: 'string' },
    offline: { type: 'boolean' },
  },
  async run(values, positionals) {
    const [action, dir = '.'] = positionals;
    if (action === 'search' || action === 'query') {
      const { config, log } = setup(values);
      return action === 'search' ? fleetSearch(config, values, log) : fleetQuery(config, values, positionals[1], log);
    }
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
      if (values.golden && !problems.length) return golden(values, root);
      print(
        problems.length
          ? `${problems.length} problem${problems.length > 1 ? 's' : ''}`
          : `fleet ok: ${[
              plural(devices.length, 'device'),
              plural(repo.groups.size, 'group'),
              plural(repo.pipelines.size, 'pipeline'),
              plural(readGolden(root).files.length, 'golden clip'),
            ].join(', ')}`,
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

/** `validate --golden`: each clip's outcome as it ends, then every broken expectation; exit 1 on any. */
async function golden(values: Record<string, unknown>, root: string): Promise<number> {
  const { config, log } = setup(values);
  // The command prints each clip's outcome; the decoder's and the model's routine lines would drown it.
  if (config.log.level === 'info') configureLogs({ level: 'warn' });
  const paths = pathsOf(config);
  const catalog = builtinCatalog();
  const mirror = modelMirror(config);
  const models = modelPoolOf(config, paths, catalog, log);
  const { outcomes, problems } = await runGoldenSet(
    {
      repoDir: root,
      cacheDir: join(paths.state, 'golden'),
      mirror: sharedMirror('media/videos'),
      models,
      imaging: sharpImaging,
      clip: { spawn: spawnFfmpeg, timers: realTimers, log },
      prepare: (refs) => pullModels(refs, catalog, { dir: paths.models, mirror }),
    },
    (o) =>
      print(
        `${o.file}: ${o.problems.length ? 'FAILED' : 'ok'}, ${o.frames} frames in ${(o.ms / 1000).toFixed(1)} s: ${
          Object.entries(tally(o.observed))
            .map(([k, n]) => `${n} ${k}`)
            .join(', ') || 'no events'
        }${
          o.gating
            ? `; gating: the detector skipped ${Math.round(o.gating.skipped_share * 100)} % of frames, ran on regions on ${o.gating.detector_regions} and on the whole frame on ${o.gating.detector_full} (${o.gating.regions_per_frame ?? 0} calls a run)`
            : ''
        }`,
      ),
  );
  await models.close();
  for (const p of problems) print(formatFleetProblem(p));
  print(
    problems.length
      ? `${problems.length} problem${problems.length > 1 ? 's' : ''}`
      : `golden ok: ${plural(outcomes.length, 'clip')}`,
  );
  return problems.length ? 1 : 0;
}
