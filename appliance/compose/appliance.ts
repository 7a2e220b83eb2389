/**
 * @module The composition root: builds a running appliance for `serve`, `demo` and the tests, in
 * the order its parts depend on each other: the fleet agent first (when the box follows a fleet
 * repo: it starts on its last good revision), then the runtime (every adapter and service), then
 * the HTTP server. Takes a new config from the agent either live (only streams and pipelines differ:
 * the streams are reconciled, nothing else is touched) or by closing the runtime and opening it
 * again in the same process (any other key); a restart that fails to open brings the previous
 * config back before it throws.
 */
import { deepFreeze } from '../shared/keys';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema';
import { modelMirror, pathsOf, sharedMirror } from '../config/paths';
import { runGoldenSet } from '../fleet/golden-run';
import { formatFleetProblem } from '../fleet/repo';
import { builtinCatalog } from '../models/catalog';
import { pullModels } from '../models/pull';
import { spawnFfmpeg } from '../decode/ffmpeg';
import { realTimers } from '../shared/timers';
import { openRuntime, type Runtime, type RuntimeOptions } from './runtime';
import { startServer, type Server } from './server';
import { restartKeys } from '../fleet/effective';
import { FleetAgent, type FleetHost } from '../fleet/agent';
import { bootConfig } from '../fleet/boot';
import { StateFile } from '../fleet/state';
import { Git } from '../fleet/git';
import { FleetMqtt } from '../fleet/mqtt';
import { Metrics } from '../metrics/prom';
import type { Logger } from '../shared/log';

export interface ApplianceOptions {
  /** The config file the box was started with (copied into backups). */
  configFile?: string | null;
}

export class Appliance implements FleetHost {
  private rt!: Runtime;
  private server!: Server;
  private agent: FleetAgent | null = null;
  private readonly mqtt = new FleetMqtt();
  private readonly options: RuntimeOptions;

  private constructor(
    private readonly log: Logger,
    opts: ApplianceOptions,
  ) {
    // One metrics registry for the process: its counters outlive an in-process restart.
    this.options = { metrics: new Metrics(), configFile: opts.configFile ?? null };
  }

  static async start(config: Config, log: Logger, opts: ApplianceOptions = {}): Promise<Appliance> {
    const box = new Appliance(log, opts);
    if (!config.fleet.repo) {
      await box.open(config, null);
      return box;
    }
    const device = config.device_id || hostname();
    const fleetDir = pathsOf(config).fleet;
    const state = new StateFile(join(fleetDir, 'state.json'));
    const flog = log.child({ mod: 'fleet' });
    const catalog = builtinCatalog();
    const boot = await bootConfig(config, device, catalog, state, fleetDir, flog);
    box.agent = new FleetAgent({
      git: new Git(config.fleet.repo, join(fleetDir, 'mirror.git')),
      host: box,
      local: config,
      device,
      catalog,
      fleetDir,
      state,
      log: flog,
      onStatus: (s) => box.mqtt.status(s),
      golden: (dir) => box.golden(dir, join(fleetDir, 'golden')),
    });
    await box.open(boot.config, boot.revision);
    box.agent.start();
    return box;
  }

  /** With api.port 0 (any free port), a restart keeps the port the box already has. */
  private async open(config: Config, revision: string | null, port?: number): Promise<void> {
    // Frozen once loaded: no request, override or bug can change the config a running box keeps.
    const rt = await openRuntime(deepFreeze(config), this.log, this.options);
    rt.streams.revision = revision;
    const agent = this.agent;
    try {
      this.server = await startServer(rt, this.log, { fleet: agent, port: config.api.port || port });
    } catch (e) {
      await rt.close();
      throw e;
    }
    this.rt = rt;
    if (agent) this.mqtt.attach(rt.mqtt, () => void agent.trigger());
  }

  get runtime(): Runtime {
    return this.rt;
  }

  /** The gRPC port when grpc.enabled, else null. */
  get grpcPort(): number | null {
    return this.server.grpcPort;
  }

  get url(): string {
    return this.server.url;
  }

  /** The fleet agent, when the box follows a fleet repo. */
  get fleet(): FleetAgent | null {
    return this.agent;
  }

  current() {
    return { config: this.rt.config, revision: this.rt.streams.revision };
  }

  probe() {
    return this.rt.streams.list();
  }

  async apply(config: Config, revision: string | null): Promise<string[]> {
    const keys = restartKeys(this.rt.config, config);
    if (keys.length === 0) {
      const r = await this.rt.streams.reconcile(config.streams, config.pipelines.dir, revision);
      // Review rules and recording follow the streams: a stream whose recording changed restarts its recorders.
      this.rt.reviews.apply(config.streams);
      if (this.rt.recordings.differs(config.streams)) {
        await this.rt.recordings.stop();
        await this.rt.recordings.start(config.streams);
      }
      this.rt.config = config;
      return [...r.added, ...r.changed];
    }
    this.log.info('fleet change needs a runtime restart', { keys });
    const prev = this.current();
    const port = this.server.port;
    // The server's stop waits for requests in flight; a request waiting for this very change is answered first.
    this.agent?.release(true);
    await this.server.stop();
    try {
      await this.open(config, revision, port);
    } catch (e) {
      await this.open(prev.config, prev.revision, port);
      throw e;
    }
    return config.streams.filter((s) => s.enabled).map((s) => s.id);
  }

  /** The golden clips of an exported revision, on this box's models (fleet.golden_gate). */
  private async golden(dir: string, cacheDir: string): Promise<string[]> {
    const rt = this.rt;
    const { problems } = await runGoldenSet({
      repoDir: dir,
      cacheDir,
      models: rt.models,
      imaging: rt.imaging,
      mirror: sharedMirror('media/videos'),
      clip: { spawn: spawnFfmpeg, timers: realTimers, log: this.log.child({ mod: 'golden' }) },
      prepare: (refs) => pullModels(refs, rt.catalog, { dir: rt.paths.models, mirror: modelMirror(rt.config) }),
    });
    return problems.map(formatFleetProblem);
  }

  /** Stop following the repo, then stop serving and close the runtime. */
  async stop(): Promise<void> {
    await this.agent?.stop();
    await this.server.stop();
  }
}
