/** @module A real mosquitto broker on loopback for tests, with persistence so it can be restarted. */
import { join } from 'node:path';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { freePort, waitForPort } from './rtsp';
import { makeCerts } from './certs';

export interface Broker extends AsyncDisposable {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  caFile: string | null;
}

export async function startMosquitto(opts: { tls?: boolean } = {}): Promise<Broker> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'fovea-mqtt-'));
  // Started as root, mosquitto drops to its own user, which must read the certificates and write
  // its persistence file (sessions and subscriptions survive a restart only then).
  await chmod(dir, 0o777);
  const conf = join(dir, 'mosquitto.conf');
  const certs = opts.tls ? await makeCerts(dir) : null;
  const tls = certs ? `cafile ${certs.ca}\ncertfile ${certs.cert}\nkeyfile ${certs.key}\n` : '';
  await Bun.write(
    conf,
    `listener ${port} 127.0.0.1\n${tls}allow_anonymous true\npersistence true\npersistence_location ${dir}/\nautosave_interval 1\n`,
  );
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const start = async () => {
    proc = Bun.spawn(['/usr/sbin/mosquitto', '-c', conf], { stdout: 'ignore', stderr: 'pipe' });
    await waitForPort(port, 10_000, 'mosquitto');
  };
  const stop = async () => {
    if (proc) {
      proc.kill('SIGTERM');
      await proc.exited;
      proc = null;
    }
  };
  await start();
  return {
    url: `${certs ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    start,
    stop,
    caFile: certs?.ca ?? null,
    [Symbol.asyncDispose]: stop,
  };
}
