/**
 * systemd's notify protocol against a real unix datagram socket (held by Python, as systemd would
 * hold it): `fovea serve` with NOTIFY_SOCKET and WATCHDOG_USEC sends READY=1 with a status line
 * once it serves, WATCHDOG=1 at half the interval, and STOPPING=1 on SIGTERM.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureModel, MODELS_DIR, tempDir, waitFor } from '../helpers/fixtures';

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    print(s.recv(4096).decode().replace("\\n", "|"), flush=True)
`;

test('READY with a status, WATCHDOG at half the interval, STOPPING on SIGTERM', async () => {
  await ensureModel();
  await using dir = await tempDir();
  const sock = join(dir.path, 'notify.sock');
  const rx = Bun.spawn(['/usr/bin/python3', '-c', RECEIVER, sock], { stdout: 'pipe', stderr: 'inherit' });
  let got = '';
  void (async () => {
    for await (const c of rx.stdout as ReadableStream<Uint8Array>) got += new TextDecoder().decode(c);
  })();
  try {
    await waitFor(() => got.includes('ready'), 10_000, 'the receiver');
    const config = join(dir.path, 'fovea.yaml');
    await Bun.write(
      config,
      stringify({
        state_dir: dir.path,
        models: { dir: MODELS_DIR, providers: ['cpu'] },
        api: { port: 0 },
        backup: { schedule: false },
      }),
    );
    const p = Bun.spawn(
      [process.execPath, join(import.meta.dir, '../../appliance/main.ts'), 'serve', '--config', config],
      { stdout: 'ignore', stderr: 'inherit', env: { ...process.env, NOTIFY_SOCKET: sock, WATCHDOG_USEC: '2000000' } },
    );
    const ready = await waitFor(() => got.split('\n').find((l) => l.startsWith('READY=1')), 60_000, 'READY=1');
    expect(ready).toMatch(/^READY=1\|STATUS=serving http:\/\/127\.0\.0\.1:\d+; 0\/0 streams running$/);
    const t0 = Date.now();
    await waitFor(() => got.includes('WATCHDOG=1'), 5_000, 'WATCHDOG=1');
    expect(Date.now() - t0).toBeLessThan(2_500);
    p.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    await waitFor(() => got.includes('STOPPING=1'), 5_000, 'STOPPING=1');
  } finally {
    rx.kill();
  }
}, 90_000);
