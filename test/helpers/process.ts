/**
 * @module The appliance as a separate process (`fovea serve` from source), for what only a real
 * process shows: SIGKILL, restarts, what a broker sees when the TCP connection just goes.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MODELS_DIR } from './fixtures';

const main = join(import.meta.dir, '../../appliance/main.ts');

/** Read a stream until a line matches; returns the first capture group. */
export async function waitForLine(stream: ReadableStream<Uint8Array>, pattern: RegExp, ms: number): Promise<string> {
  const reader = stream.getReader();
  let text = '';
  let timer: Timer | undefined;
  const timeout = new Promise<{ done: true; value: undefined }>((r) => {
    timer = setTimeout(() => r({ done: true, value: undefined }), ms);
  });
  try {
    for (;;) {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) break;
      text += new TextDecoder().decode(value);
      const m = pattern.exec(text);
      if (m) return m[1]!;
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  throw new Error(`no line matching ${pattern} in: ${text}`);
}

/** `fovea ARGS` from source, as its own process: its exit code, stdout and stderr. */
export async function foveaCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([process.execPath, main, ...args], {
    env: { ...process.env, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
  return { code: await p.exited, out, err };
}

export interface FoveaProcess extends AsyncDisposable {
  url: string;
  proc: ReturnType<typeof Bun.spawn>;
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<number>;
}

/**
 * `fovea serve` on a config written to `<state>/fovea.yaml` (models from the test cache, CPU, a
 * free port), with stdout drained so the process never blocks on a full pipe. Log level info at
 * least: the URL is read from the 'fovea serving' line.
 */
export async function spawnFovea(
  state: string,
  config: Record<string, unknown>,
  opts: { group?: boolean } = {},
): Promise<FoveaProcess> {
  const file = join(state, 'fovea.yaml');
  await Bun.write(
    file,
    stringify({
      state_dir: state,
      ...config,
      models: { dir: MODELS_DIR, providers: ['cpu'], ...(config.models as object) },
      api: { port: 0, ...(config.api as object) },
      log: { level: 'info', ...(config.log as object) },
    }),
  );
  // group: its own process group, so a kill reaches its ffmpeg children too, as systemd's
  // KillMode=control-group does to the unit's processes.
  const argv = [process.execPath, main, 'serve', '--config', file];
  const proc = Bun.spawn(opts.group ? ['setsid', ...argv] : argv, { stdout: 'pipe', stderr: 'inherit' });
  // A box that never says it serves is not left running behind a failed test or bench.
  const url = await waitForLine(proc.stdout as ReadableStream<Uint8Array>, /"url":"(http:\/\/[^"]+)"/, 60_000).catch(
    (e: unknown) => {
      proc.kill('SIGKILL');
      throw e;
    },
  );
  void (async () => {
    for await (const _ of proc.stdout as ReadableStream<Uint8Array>) {
      /* drain */
    }
  })().catch(() => undefined);
  const kill = async (signal: 'SIGKILL' | 'SIGTERM') => {
    if (opts.group) {
      try {
        process.kill(-proc.pid, signal);
      } catch {
        /* the group is gone already */
      }
    } else proc.kill(signal);
    return proc.exited;
  };
  // On dispose (also when a test fails half way), whatever still runs is killed.
  return {
    url,
    proc,
    kill,
    [Symbol.asyncDispose]: async () => {
      if (proc.exitCode === null && proc.signalCode === null) await kill('SIGKILL');
    },
  };
}
