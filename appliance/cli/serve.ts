/**
 * @module `fovea serve`: open the runtime, serve the API until SIGTERM/SIGINT, then close cleanly
 * (pending writes flushed, index saved, database checkpointed).
 */
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { setup } from './context';
import { openRuntime, type Runtime } from '../runtime';
import { createApp } from '../api/app';
import type { Logger } from '../shared/log';
import { VERSION } from '../version';
import { urlHost } from '../shared/url';

export async function startServer(rt: Runtime, log: Logger): Promise<{ url: string; stop: () => Promise<void> }> {
  await rt.streams.start(rt.config.streams);
  const app = createApp(rt, log.child({ mod: 'api' }));
  app.listen({ hostname: rt.config.api.host, port: rt.config.api.port });
  const url = `http://${urlHost(rt.config.api.host)}:${app.server!.port}`;
  log.info('fovea serving', { url, version: VERSION, state_dir: rt.paths.state, embed_model: rt.embedder.modelRef, provider: rt.embedder.provider });
  // WebSocket clients are closed first (1001): the server's stop waits for every open connection.
  return { url, stop: async () => { rt.hub.shutdown(); await app.stop(); await rt.close(); } };
}

export function untilSignal(stop: () => Promise<void>, log: Logger): Promise<number> {
  return new Promise((done) => {
    const on = (sig: string) => {
      log.info('stopping', { signal: sig });
      stop().then(() => done(0), (e) => { log.error('stop failed', { error: e }); done(1); });
    };
    process.once('SIGTERM', () => on('SIGTERM'));
    process.once('SIGINT', () => on('SIGINT'));
  });
}

export const serve: Command = {
  name: 'serve',
  summary: 'run the appliance (API on the configured address)',
  usage: `Usage: fovea serve [--config FILE]

Runs the appliance. With no config file it runs on embedded defaults: state in ./data, API on
http://127.0.0.1:8080. Any key can be set from the environment as FOVEA_<PATH> (FOVEA_API_PORT=9000).
Models must be present: run 'fovea models pull' first.`,
  options: { ...CONFIG_OPTION },
  async run(values) {
    const { config, log } = setup(values);
    const rt = await openRuntime(config, log);
    const server = await startServer(rt, log);
    return untilSignal(server.stop, log);
  },
};
