/** @module A real RTSP server on loopback (GStreamer, rtsp-server.py beside this file) for tests. */
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/** Wait until a loopback port accepts a connection (a server just spawned is ready). */
export async function waitForPort(port: number, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const s = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
      s.end();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${what} did not start`);
      await Bun.sleep(50);
    }
  }
}

export interface RtspServer extends AsyncDisposable {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRtsp(o: {
  auth: 'none' | 'basic' | 'digest';
  user?: string;
  password?: string;
  port?: number;
  file?: string;
}): Promise<RtspServer> {
  const port = o.port ?? (await freePort());
  const args = [
    '/usr/bin/python3',
    join(import.meta.dir, 'rtsp-server.py'),
    '--port',
    String(port),
    '--auth',
    o.auth,
    '--user',
    o.user ?? 'admin',
    '--password',
    o.password ?? 'secret',
  ];
  args.push(...(o.file ? ['--file', o.file] : ['--pattern', '--size', '320x240', '--fps', '10']));
  const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe' });
  const reader = proc.stdout.getReader();
  let text = '';
  while (!text.includes('ready')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`rtsp-server did not start: ${await new Response(proc.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  const stop = async () => {
    proc.kill('SIGTERM');
    await proc.exited;
  };
  return { url: `rtsp://127.0.0.1:${port}/stream`, port, stop, [Symbol.asyncDispose]: stop };
}
