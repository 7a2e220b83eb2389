/** @module A real mosquitto broker on loopback for tests, with persistence so it can be restarted. */
import { join } from 'node:path';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { freePort, waitForPort } from './rtsp';

export interface Broker extends AsyncDisposable { url: string; port: number; stop(): Promise<void>; start(): Promise<void>; caFile: string | null }

/** A throwaway CA and a server certificate for 127.0.0.1, made with openssl. */
async function makeCerts(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const f = (n: string) => join(dir, n);
  const run = async (args: string[]) => {
    const p = Bun.spawn(['openssl', ...args], { stdout: 'ignore', stderr: 'pipe' });
    if ((await p.exited) !== 0) throw new Error(`openssl ${args[0]} failed: ${await new Response(p.stderr).text()}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=fovea-test-ca']);
  await run(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  await Bun.write(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '1', '-extfile', f('san.ext')]);
  await chmod(f('server.key'), 0o644);
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
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
  await Bun.write(conf, `listener ${port} 127.0.0.1\n${tls}allow_anonymous true\npersistence true\npersistence_location ${dir}/\nautosave_interval 1\n`);
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const start = async () => {
    proc = Bun.spawn(['/usr/sbin/mosquitto', '-c', conf], { stdout: 'ignore', stderr: 'pipe' });
    await waitForPort(port, 10_000, 'mosquitto');
  };
  const stop = async () => { if (proc) { proc.kill('SIGTERM'); await proc.exited; proc = null; } };
  await start();
  return { url: `${certs ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`, port, start, stop, caFile: certs?.ca ?? null, [Symbol.asyncDispose]: stop };
}
