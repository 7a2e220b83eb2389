/**
 * @module The running appliance as the fleet agent sees it: a runtime with its HTTP server, which
 * takes a new config either live (only streams and pipelines differ: the streams are reconciled,
 * nothing else is touched) or by closing the runtime and opening it again in the same process
 * (any other key). A restart that fails to open brings the previous config back before it throws.
 */
import type { Config } from './config/schema';
import { openRuntime, type Runtime, type RuntimeOptions } from './runtime';
import { startServer, type ServerExtras } from './cli/serve';
import { restartKeys } from './fleet/effective';
import type { FleetHost } from './fleet/agent';
import type { Logger } from './shared/log';

export interface Hooks {
  /** After every (re)start, with the new runtime. */
  started?: (rt: Runtime) => void;
  /** Just before the runtime is closed for a restart. */
  restarting?: () => void;
}

export class Appliance implements FleetHost {
  private rt!: Runtime;
  private server!: { url: string; port: number; stop: () => Promise<void> };

  private constructor(private readonly log: Logger, private readonly extras: ServerExtras, private readonly hooks: Hooks, private readonly options: RuntimeOptions) {}

  static async start(config: Config, revision: string | null, log: Logger, extras: ServerExtras, hooks: Hooks = {}, options: RuntimeOptions = {}): Promise<Appliance> {
    const a = new Appliance(log, extras, hooks, options);
    await a.open(config, revision);
    return a;
  }

  /** With api.port 0 (any free port), a restart keeps the port the box already has. */
  private async open(config: Config, revision: string | null, port?: number): Promise<void> {
    const rt = await openRuntime(config, this.log, this.options);
    rt.streams.revision = revision;
    try {
      this.server = await startServer(rt, this.log, { ...this.extras, port: config.api.port || port });
    } catch (e) {
      await rt.close();
      throw e;
    }
    this.rt = rt;
    this.hooks.started?.(rt);
  }

  get runtime(): Runtime {
    return this.rt;
  }

  get url(): string {
    return this.server.url;
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
      this.rt.config = config;
      return [...r.added, ...r.changed];
    }
    this.log.info('fleet change needs a runtime restart', { keys });
    const prev = this.current();
    const port = this.server.port;
    // The server's stop waits for requests in flight; a request waiting for this very change is answered first.
    this.hooks.restarting?.();
    await this.server.stop();
    try {
      await this.open(config, revision, port);
    } catch (e) {
      await this.open(prev.config, prev.revision, port);
      throw e;
    }
    return config.streams.filter((s) => s.enabled).map((s) => s.id);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
