/** @module A real mosquitto broker on loopback for tests, with persistence so it can be restarted. */
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { freePort } from './rtsp';

export interface Broker extends AsyncDisposable { url: string; port: number; stop(): Promise<void>; start(): Promise<void> }

export async function startMosquitto(): Promise<Broker> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'fovea-mqtt-'));
  const conf = join(dir, 'mosquitto.conf');
  await Bun.write(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\nautosave_interval 1\n`);
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const start = async () => {
    proc = Bun.spawn(['/usr/sbin/mosquitto', '-c', conf], { stdout: 'ignore', stderr: 'pipe' });
    // Ready when the port accepts a connection.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try { const s = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } }); s.end(); return; } catch {
        if (Date.now() > deadline) throw new Error('mosquitto did not start');
        await Bun.sleep(50);
      }
    }
  };
  const stop = async () => { if (proc) { proc.kill('SIGTERM'); await proc.exited; proc = null; } };
  await start();
  return { url: `mqtt://127.0.0.1:${port}`, port, start, stop, [Symbol.asyncDispose]: stop };
}
