/**
 * @module A worker that runs one background loop: start() runs it once, stop() asks it to end
 * (the abort signal cancels what it is waiting on, the nap is cut short) and waits for it.
 */
import { Nap, realTimers, type Timers } from './timers';

export abstract class BackgroundLoop {
  protected stopped = false;
  protected readonly nap: Nap;
  protected readonly abort = new AbortController();
  private loop: Promise<void> | null = null;

  /** The loop's clock: its naps and backoffs run on it (fake time in tests). */
  constructor(protected readonly timers: Timers = realTimers) {
    this.nap = new Nap(timers);
  }

  /** The loop: returns when `stopped` is set. */
  protected abstract run(): Promise<void>;
  /** A loop that threw: logged by the worker; it does not restart. */
  protected abstract crashed(e: unknown): void;

  start(): this {
    this.loop ??= this.run().catch((e) => this.crashed(e));
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.nap.wake();
    await this.loop;
  }
}
