/**
 * @module The life of a serving process: tell systemd it is ready and keep its watchdog fed with a
 * status line, and stop cleanly on SIGTERM or SIGINT.
 */
import type { Runtime } from '../compose/runtime';
import type { Logger } from '../shared/log';
import { sdNotify, watchdogMs } from '../shared/sdnotify';

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
  return {
    stopping: () => {
      if (timer) clearInterval(timer);
      sdNotify('STOPPING=1');
    },
  };
}

export function untilSignal(stop: () => Promise<void>, log: Logger, notify?: { stopping(): void }): Promise<number> {
  return new Promise((done) => {
    const on = (sig: string) => {
      log.info('stopping', { signal: sig });
      notify?.stopping();
      stop().then(
        () => done(0),
        (e) => {
          log.error('stop failed', { error: e });
          done(1);
        },
      );
    };
    process.once('SIGTERM', () => on('SIGTERM'));
    process.once('SIGINT', () => on('SIGINT'));
  });
}
