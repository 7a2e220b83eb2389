/** A throwaway CA and a server certificate for 127.0.0.1 (openssl), for TLS tests on loopback. */
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function makeCerts(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const f = (n: string) => join(dir, n);
  await mkdir(dir, { recursive: true });
  const run = async (args: string[]) => {
    const p = Bun.spawn(['openssl', ...args], { stdout: 'ignore', stderr: 'pipe' });
    if ((await p.exited) !== 0) throw new Error(`openssl ${args[0]} failed: ${await new Response(p.stderr).text()}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=fovea-test-ca',
  ]);
  await run(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  await Bun.write(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await run([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.crt'),
    '-days',
    '1',
    '-extfile',
    f('san.ext'),
  ]);
  await chmod(f('server.key'), 0o644);
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}
