/**
 * @module A real S3-compatible server on loopback for tests: s3rver (npm) in its own process, so it
 * can be stopped and started again on the same port with the same data. It checks the access key
 * id but not SigV4 signatures or checksums; the README says what that leaves to real S3 or MinIO.
 */
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { freePort } from './rtsp';

export const S3_KEY = { access_key_id: 'S3RVER', secret_access_key: 'S3RVER' };
const bin = join(import.meta.dir, '../../node_modules/s3rver/bin/s3rver.js');

export interface S3Server extends AsyncDisposable { endpoint: string; port: number; dir: string; stop(): Promise<void>; start(): Promise<void> }

export async function startS3(buckets: string[] = ['fovea']): Promise<S3Server> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'fovea-s3-'));
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const start = async () => {
    const args = [process.execPath, bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', ...buckets.flatMap((b) => ['--configure-bucket', b])];
    proc = Bun.spawn(args, { stdout: 'ignore', stderr: 'pipe' });
    const deadline = Date.now() + 15_000;
    for (;;) {
      try { const s = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } }); s.end(); return; } catch {
        if (Date.now() > deadline) throw new Error('s3rver did not start');
        await Bun.sleep(50);
      }
    }
  };
  const stop = async () => { if (proc) { proc.kill('SIGKILL'); await proc.exited; proc = null; } };
  await start();
  return { endpoint: `http://127.0.0.1:${port}`, port, dir, start, stop, [Symbol.asyncDispose]: stop };
}
