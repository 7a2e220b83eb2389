/**
 * No secret in a log line or an error body: a real appliance at log level debug, with a camera
 * password and an MQTT password from the environment, a camera that refuses, wrong and right
 * logins, a reset token and API keys in use. Its whole output is read afterwards: none of the
 * secrets is in it, while the lines about those events are (so the check can fail).
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureModel, MODELS_DIR, tempDir, waitFor } from '../helpers/fixtures';
import { startRtsp } from '../helpers/rtsp';

const main = join(import.meta.dir, '../../appliance/main.ts');

test('secrets stay out of the logs and error bodies', async () => {
  await ensureModel();
  await using dir = await tempDir();
  await using cam = await startRtsp({ auth: 'digest', user: 'viewer', password: 'right-cam-pass' });
  const secrets = {
    cam: 'Wrong-Cam-Secret-91',
    mqtt: 'Mqtt-Secret-73',
    user: 'Ann-Passphrase-55',
    guess: 'Guess-Secret-12',
  };
  const config = join(dir.path, 'fovea.yaml');
  await Bun.write(
    config,
    stringify({
      state_dir: dir.path,
      models: { dir: MODELS_DIR, providers: ['cpu'] },
      api: { port: 0, rate_limit_per_minute: 1_000_000 },
      log: { level: 'debug' },
      mqtt: { url: 'mqtt://127.0.0.1:9', username: 'fovea', password: '${env:FOVEA_T_MQTT}' },
      streams: [
        {
          id: 'door',
          url: cam.url,
          auth: 'digest',
          username: 'viewer',
          password: '${env:FOVEA_T_CAM}',
          pipeline: 'people',
        },
      ],
    }),
  );
  const p = Bun.spawn([process.execPath, main, 'serve', '--config', config], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, FOVEA_T_MQTT: secrets.mqtt, FOVEA_T_CAM: secrets.cam },
  });
  let out = '';
  const drain = (s: ReadableStream<Uint8Array>) =>
    (async () => {
      for await (const c of s) out += new TextDecoder().decode(c);
    })();
  const done = Promise.all([drain(p.stdout), drain(p.stderr)]);
  try {
    const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1], 60_000, 'serving');
    const post = (path: string, f: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { method: 'POST', headers, body: new URLSearchParams(f) });
    const bodies: string[] = [];
    bodies.push(await (await post('/api/auth/signup', { username: 'ann', password: secrets.user })).text());
    bodies.push(await (await post('/api/auth/login', { username: 'ann', password: secrets.guess })).text());
    const login = (await (await post('/api/auth/login', { username: 'ann', password: secrets.user })).json()) as {
      access_token: string;
      refresh_token: string;
    };
    const reset = (await (
      await fetch(`${url}/api/users/ann/reset`, {
        method: 'POST',
        headers: { authorization: `Bearer ${login.access_token}` },
      })
    ).json()) as { token: string };
    bodies.push(await (await post('/api/auth/reset', { token: reset.token, password: 'short' })).text());
    bodies.push(
      await (await fetch(`${url}/api/images`, { headers: { 'x-api-key': `fov_deadbeef_${'x'.repeat(43)}` } })).text(),
    );
    bodies.push(
      await (
        await fetch(`${url}/api/streams/door`, { headers: { authorization: `Bearer ${login.access_token}` } })
      ).text(),
    );
    await waitFor(
      async () =>
        (
          (await (
            await fetch(`${url}/api/streams/door`, { headers: { authorization: `Bearer ${login.access_token}` } })
          ).json()) as { state: string }
        ).state === 'unauthorized',
      30_000,
      'the camera refusing',
    );
    const all = [out, ...bodies].join('\n');
    const leaked = [
      secrets.cam,
      secrets.mqtt,
      secrets.user,
      secrets.guess,
      reset.token,
      login.refresh_token,
      login.access_token,
    ].filter((s) => all.includes(s));
    expect({
      leaked,
      sawLogin: out.includes('login failed'),
      sawCamera: /401 Unauthorized/.test(out),
      sawMqtt: out.includes('mqtt error') || out.includes('"mod":"publish"'),
    }).toEqual({ leaked: [], sawLogin: true, sawCamera: true, sawMqtt: true });
  } finally {
    p.kill('SIGTERM');
    await p.exited;
    await done;
  }
}, 120_000);
