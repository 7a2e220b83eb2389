/** @module The clock and timers port: real ones here, fake ones in unit tests (no real waiting). */

export interface Timers {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Fake time for tests: advance() fires what falls due, in order. */
export class FakeTimers implements Timers {
  private t = 0;
  private seq = 0;
  private due = new Map<number, { at: number; fn: () => void }>();
  now() {
    return this.t;
  }
  set(fn: () => void, ms: number) {
    const id = ++this.seq;
    this.due.set(id, { at: this.t + ms, fn });
    return id;
  }
  clear(h: unknown) {
    this.due.delete(h as number);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.due.entries()]
        .filter(([, d]) => d.at <= end)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.due.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

/** Run fn every ms on the given timers until stop(). */
export function every(timers: Timers, fn: () => void, ms: number): { stop(): void } {
  let handle: unknown = null;
  let stopped = false;
  const tick = () => {
    fn();
    if (!stopped) handle = timers.set(tick, ms);
  };
  handle = timers.set(tick, ms);
  return {
    stop: () => {
      stopped = true;
      timers.clear(handle);
    },
  };
}

/** Wait for p, but no longer than ms; true when p settled in time. For bounded shutdown steps. */
export async function within(p: Promise<unknown>, ms: number, timers: Timers = realTimers): Promise<boolean> {
  let timer: unknown;
  const late = new Promise<false>((r) => {
    timer = timers.set(() => r(false), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    timers.clear(timer);
  }
}

/**
 * A background loop's pause: sleep(ms) (null: until woken), and wake() to end it early. A wake
 * that comes while the loop is busy is kept, so the next sleep returns at once: no wake is lost.
 */
export class Nap {
  private wakeFn: (() => void) | null = null;
  private pending = false;

  constructor(private readonly timers: Timers = realTimers) {}

  sleep(ms: number | null): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer =
        ms === null
          ? null
          : this.timers.set(() => {
              this.wakeFn = null;
              resolve();
            }, ms);
      this.wakeFn = () => {
        if (timer !== null) this.timers.clear(timer);
        this.wakeFn = null;
        resolve();
      };
    });
  }

  wake(): void {
    if (this.wakeFn) this.wakeFn();
    else this.pending = true;
  }
}

/**
 * A job run every intervalS seconds (never on its own when 0), one run at a time: run() while a
 * run is going joins it. The job handles its own errors.
 */
export class Periodic {
  private timer: { stop(): void } | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly intervalS: number,
    private readonly timers: Timers = realTimers,
  ) {}

  start(): void {
    if (this.intervalS > 0)
      this.timer = every(
        this.timers,
        () => {
          void this.run();
        },
        this.intervalS * 1000,
      );
  }

  run(): Promise<void> {
    this.running ??= this.job().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.timer?.stop();
    await this.running;
  }
}

/** Wait ms on the given timers (fake time in tests). */
export const sleep = (timers: Timers, ms: number) =>
  new Promise<void>((resolve) => {
    timers.set(resolve, ms);
  });
