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
import type { FleetControl } from '../api/fleet';
import type { Config } from '../config/schema';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathsOf } from '../runtime';
import { StateFile } from '../fleet/state';
import { bootConfig } from '../fleet/boot';
import { FleetAgent } from '../fleet/agent';
import { Git } from '../fleet/git';
import { FleetMqtt } from '../fleet/mqtt';
import { Appliance } from '../host';
import { builtinCatalog } from '../models/catalog';
import { sdNotify, watchdogMs } from '../shared/sdnotify';
import { Metrics } from '../metrics/prom';
import { readPair, watchPair, type TlsPair } from '../api/tls';
import { AppError } from '../shared/errors';

/** What a server may have beyond the runtime: the fleet agent's API, a listen port other than the config's. */
export interface ServerExtras { fleet?: FleetControl | null; port?: number }

export async function startServer(rt: Runtime, log: Logger, extras: ServerExtras = {}): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const a = rt.config.api;
  if (a.https_only && !a.tls.cert_file) throw new AppError('config_invalid', '/api/https_only: set api.tls.cert_file and key_file, or turn https_only off');
  const pair = a.tls.cert_file ? readPair(a.tls) : null;
  await rt.streams.start(rt.config.streams);
  const app = createApp(rt, log.child({ mod: 'api' }), { fleet: extras.fleet ?? null });
  const listen = (port: number, p: TlsPair | null) => app.listen({ hostname: a.host, port, ...(p && { tls: { cert: p.cert, key: p.key } }) });
  try {
    listen(extras.port ?? a.port, pair);
  } catch (e) {
    await rt.streams.stop();
    throw e;
  }
  const port = app.server!.port!;
  const url = `${pair ? 'https' : 'http'}://${urlHost(a.host)}:${port}`;
  // A renewed certificate: the listener restarts on the same port with it (Bun cannot swap it live).
  const tlsWatch = pair ? watchPair(a.tls, async (p) => { await app.stop(); listen(port, p); }, log.child({ mod: 'api' })) : null;
  log.info('fovea serving', { url, version: VERSION, state_dir: rt.paths.state, embed_model: rt.embedder.modelRef, provider: rt.embedder.provider, revision: rt.streams.revision, ...(pair && { tls: pair.subject }) });
  // WebSocket clients are closed first (1001): the server's stop waits for every open connection.
  return { url, port, stop: async () => { tlsWatch?.stop(); rt.hub.shutdown(); await app.stop(); await rt.close(); } };
}

/** A line for `systemctl status`: where the API is, how many streams run, which fleet revision. */
export function statusLine(rt: Runtime, url: string): string {
  const streams = rt.streams.list();
  const running = streams.filter((s) => s.state === 'running').length;
  const rev = rt.streams.revision;
  return `serving ${url}; ${running}/${streams.length} streams running${rev ? `; fleet revision ${rev.slice(0, 12)}` : ''}`;
}

/**
 * Tell systemd (Type=notify) the appliance is ready, then keep its watchdog fed at half of
 * WatchdogSec with the status line; a hung event loop stops the pings and systemd restarts the unit.
 */
export function notifySystemd(status: () => string): { stopping(): void } {
  sdNotify(`READY=1\nSTATUS=${status()}`);
  const wd = watchdogMs();
  const timer = wd ? setInterval(() => sdNotify(`WATCHDOG=1\nSTATUS=${status()}`), Math.max(500, wd / 2)) : null;
  return { stopping: () => { if (timer) clearInterval(timer); sdNotify('STOPPING=1'); } };
}

export function untilSignal(stop: () => Promise<void>, log: Logger, notify?: { stopping(): void }): Promise<number> {
  return new Promise((done) => {
    const on = (sig: string) => {
      log.info('stopping', { signal: sig });
      notify?.stopping();
      stop().then(() => done(0), (e) => { log.error('stop failed', { error: e }); done(1); });
    };
    process.once('SIGTERM', () => on('SIGTERM'));
    process.once('SIGINT', () => on('SIGINT'));
  });
}

/** Serve under the fleet agent: start on the last good revision, then follow the repo. */
async function serveFleet(local: Config, log: Logger, file: string | null): Promise<number> {
  const device = local.device_id || hostname();
  const fleetDir = join(pathsOf(local).state, 'fleet');
  const state = new StateFile(join(fleetDir, 'state.json'));
  const flog = log.child({ mod: 'fleet' });
  const catalog = builtinCatalog();
  const boot = await bootConfig(local, device, catalog, state, fleetDir, flog);
  let agent: FleetAgent | null = null;
  const mqtt = new FleetMqtt();
  const host = await Appliance.start(boot.config, boot.revision, log, {
    fleet: { view: () => agent!.view(), trigger: () => agent!.trigger() },
  }, { started: (rt) => mqtt.attach(rt, () => void agent?.trigger(), agent?.view()), restarting: () => agent?.release(true) }, { metrics: new Metrics(), configFile: file });
  agent = new FleetAgent({ git: new Git(local.fleet.repo, join(fleetDir, 'mirror.git')), host, local, device, catalog, fleetDir, state, log: flog, onStatus: (s) => mqtt.status(s) });
  agent.start();
  return untilSignal(async () => { await agent!.stop(); await host.stop(); }, log, notifySystemd(() => statusLine(host.runtime, host.url)));
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
    const { config, log, file } = setup(values);
    if (config.fleet.repo) return serveFleet(config, log, file);
    const rt = await openRuntime(config, log, { configFile: file });
    const server = await startServer(rt, log);
    return untilSignal(server.stop, log, notifySystemd(() => statusLine(rt, server.url)));
  },
};
