/**
 * @module `fovea serve`: start the appliance (following its fleet repo when it has one), serve the
 * API until SIGTERM/SIGINT, then close cleanly (pending writes flushed, index saved, database
 * checkpointed).
 */
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { setup } from './context';
import { Appliance } from '../compose/appliance';
import { notifySystemd, statusLine, untilSignal } from './lifecycle';

export const serve: Command = {
  name: 'serve',
  summary: 'run the appliance (API on the configured address)',
  usage: `Usage: fovea serve [--config FILE]

Runs the appliance. With no config file it runs on embedded defaults: state in ./data, API on
http://127.0.0.1:8080. Any key can be set from the environment as FOVEA_<PATH> (FOVEA_API_PORT=9000).
Models the config uses that are not in the state directory yet are pulled in the background (from
models.mirror or ../shared/models when it has them, else their pinned upstream URL, sha256-checked);
meanwhile the streams that need them show 'pulling' and image uploads answer 503 model_unavailable.`,
  options: { ...CONFIG_OPTION },
  async run(values) {
    const { config, log, file } = setup(values);
    const box = await Appliance.start(config, log, { configFile: file });
    return untilSignal(
      () => box.stop(),
      log,
      notifySystemd(() => statusLine(box.runtime, box.url)),
    );
  },
};
