/**
 * @module A real S3-compatible server on loopback for tests: s3rver (npm) in its own process, so it
 * can be stopped and started again on the same port with the same data. It checks the access key
 * id but not SigV4 signatures or checksums; docs/development.md says what that leaves to real S3 or MinIO.
 */
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { freePort, waitForPort } from './rtsp';
import { makeCerts } from './certs';

export const S3_KEY = { access_key_id: 'S3RVER', secret_access_key: 'S3RVER' };
const bin = join(import.meta.dir, '../../node_modules/s3rver/bin/s3rver.js');

export interface S3Server extends AsyncDisposable {
  endpoint: string;
  port: number;
  dir: string;
  caFile: string | null;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * `cpus`: pin the server to these CPUs (benchmarks: the server stands in for a remote one).
 * `tls`: https with a certificate from a throwaway CA (caFile).
 */
export async function startS3(
  buckets: string[] = ['fovea'],
  cpus?: string,
  opts: { tls?: boolean } = {},
): Promise<S3Server> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'fovea-s3-'));
  const certs = opts.tls ? await makeCerts(await mkdtemp(join(tmpdir(), 'fovea-s3-tls-'))) : null;
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const start = async () => {
    const args = [
      process.execPath,
      bin,
      '-d',
      dir,
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '--silent',
      ...(certs ? ['--key', certs.key, '--cert', certs.cert] : []),
      ...buckets.flatMap((b) => ['--configure-bucket', b]),
    ];
    proc = Bun.spawn(cpus ? ['taskset', '-c', cpus, ...args] : args, { stdout: 'ignore', stderr: 'pipe' });
    await waitForPort(port, 15_000, 's3rver');
  };
  const stop = async () => {
    if (proc) {
      proc.kill('SIGKILL');
      await proc.exited;
      proc = null;
    }
  };
  await start();
  return {
    endpoint: `${certs ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    dir,
    caFile: certs?.ca ?? null,
    start,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
