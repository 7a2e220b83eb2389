/**
 * @module GET /api/system: how the box itself is doing, for the System page: its CPU (load and the
 * process's share), memory (the box's and the process's), the disk under its state directory, and
 * its latest warnings and errors from the log (already scrubbed of secrets; for admins only).
 */
import { Elysia } from 'elysia';
import { cpus, freemem, loadavg, totalmem, uptime } from 'node:os';
import { statfs } from 'node:fs/promises';

export interface SystemDeps {
  stateDir: string;
  problems: () => ReadonlyArray<Record<string, unknown>>;
  /** Whether the caller may read the log (it names users and addresses): admins, or a box without auth. */
  readsLog: (req: Request) => boolean;
}

export const systemApi = (d: SystemDeps) => {
  // The process's CPU share since the previous answer (the first: since it started).
  let last = { at: performance.now(), cpu: process.cpuUsage() };
  const cpuShare = () => {
    const now = { at: performance.now(), cpu: process.cpuUsage() };
    const usedMs = (now.cpu.user - last.cpu.user + now.cpu.system - last.cpu.system) / 1000;
    const share = now.at > last.at ? usedMs / (now.at - last.at) : 0;
    last = now;
    return Math.round(share * 1000) / 10;
  };
  return new Elysia({ name: 'api-system', detail: { tags: ['health'] } }).get(
    '/api/system',
    async ({ request }) => {
      const fs = await statfs(d.stateDir);
      return {
        cpu: {
          cores: cpus().length,
          load: loadavg().map((x) => Math.round(x * 100) / 100),
          process_percent: cpuShare(),
        },
        memory: { total_bytes: totalmem(), free_bytes: freemem(), process_rss_bytes: process.memoryUsage().rss },
        disk: { path: d.stateDir, total_bytes: fs.blocks * fs.bsize, free_bytes: fs.bavail * fs.bsize },
        uptime_s: Math.round(uptime()),
        problems: d.readsLog(request) ? [...d.problems()].reverse().slice(0, 50) : null,
      };
    },
    { detail: { summary: 'CPU, memory and disk of the box; its latest warnings and errors' } },
  );
};
