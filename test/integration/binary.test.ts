/**
 * The single binary, as an operator gets it: built with `bun run build`, copied alone into an empty
 * directory, run with an empty environment (no Bun, no node_modules on PATH), it serves a search.
 */
import { describe, expect, test } from 'bun:test';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { IMAGES, SHARED, VIDEOS, fileBlob, form, tempDir, waitFor } from '../helpers/fixtures';
import { waitForLine } from '../helpers/process';
import { shot, startBrowser } from '../helpers/browser';

const root = join(import.meta.dir, '../..');

async function run(cmd: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(cmd, { cwd, env, stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
  return { code: await p.exited, out: out + err };
}

describe('single binary', () => {
  test('copied alone to an empty directory, it pulls, serves, registers, searches and analyses video', async () => {
    await using build = await tempDir('fovea-build-');
    const built = await run([process.execPath, 'scripts/build.ts', join(build.path, 'fovea')], root, {
      ...(process.env as Record<string, string>),
    });
    expect(built.code).toBe(0);

    await using empty = await tempDir('fovea-empty-');
    const bin = join(empty.path, 'fovea');
    await copyFile(join(build.path, 'fovea'), bin);
    await mkdir(join(empty.path, 'home'));
    const env = {
      HOME: join(empty.path, 'home'),
      PATH: '/usr/bin:/bin',
      FOVEA_API_PORT: '0',
      FOVEA_MODELS_PROVIDERS: 'cpu',
    };

    expect((await run([bin, 'version'], empty.path, env)).out).toMatch(/^fovea \d+\.\d+\.\d+ \(bun/);
    expect(
      (
        await run(
          [bin, 'models', 'pull', 'mobilenetv2-embed@1', 'yolox-nano@1', '--from', join(SHARED, 'models')],
          empty.path,
          env,
        )
      ).code,
    ).toBe(0);
    const config = join(empty.path, 'fovea.yaml');
    // A free port for gRPC (the .proto and grpc-js must work from inside the binary too).
    const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const grpcPort = probe.port;
    probe.stop(true);
    await writeFile(
      config,
      `grpc:\n  enabled: true\n  port: ${grpcPort}\nstreams:\n  - id: bottles\n    url: ${join(VIDEOS, 'bottle-detection.mp4')}\n    pipeline: objects\n    fps: 2\n    realtime: false\n`,
    );
    const key = (await run([bin, 'apikey', 'create', '--name', 'ci'], empty.path, env)).out.trim();

    const server = Bun.spawn([bin, 'serve', '--config', config], {
      cwd: empty.path,
      env,
      stdout: 'pipe',
      stderr: 'pipe',
    });
    try {
      const url = await waitForLine(server.stdout, /"url":"(http:\/\/[^"]+)"/, 60_000);
      const headers = { 'x-api-key': key };
      const reg = await fetch(`${url}/api/images`, {
        method: 'POST',
        headers,
        body: form({ file: await fileBlob(join(IMAGES, 'dog.jpg')) }),
      });
      const { image_id } = (await reg.json()) as { image_id: string };
      const res = await fetch(`${url}/api/search`, {
        method: 'POST',
        headers,
        body: form({ file: await fileBlob(join(IMAGES, 'dog.jpg')) }),
      });
      const { results } = (await res.json()) as { results: Array<{ image_id: string; similarity_score: number }> };
      expect([reg.status, res.status, results[0]?.image_id, results[0]!.similarity_score]).toEqual([
        201,
        200,
        image_id,
        expect.above(0.999),
      ]);
      const pkg = grpc.loadPackageDefinition(
        loader.loadSync(join(root, 'appliance/grpc/fovea.proto'), { keepCase: true, arrays: true }),
      ) as unknown as { fovea: { v1: { Runs: grpc.ServiceClientConstructor } } };
      const client = new pkg.fovea.v1.Runs(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure()) as unknown as {
        Detect: (
          r: object,
          m: grpc.Metadata,
          cb: (e: Error | null, v: { detections: Array<{ label: string }> }) => void,
        ) => void;
        close: () => void;
      };
      const md = new grpc.Metadata();
      md.set('x-api-key', key);
      const detected = await new Promise<string[]>((resolve, reject) =>
        client.Detect(
          { pipeline: 'objects', image: { data: Buffer.from(readFileSync(join(IMAGES, 'dog.jpg'))) } },
          md,
          (e, v) => (e ? reject(e) : resolve(v.detections.map((d) => d.label))),
        ),
      );
      client.close();
      expect(detected).toContain('dog');
      const stream = await waitFor(
        async () => {
          const v = (await (await fetch(`${url}/api/streams/bottles`, { headers })).json()) as {
            state: string;
            frames_analysed: number;
          };
          return v.state === 'stopped' && v;
        },
        90_000,
        'the video to be analysed by the binary',
      );
      const events = (await (
        await fetch(`${url}/api/events?stream=bottles&type=count&label=bottle`, { headers })
      ).json()) as { total: number };
      expect([stream.frames_analysed, events.total]).toEqual([expect.above(50), expect.above(0)]);
      // The dashboard (with its service worker) and the docs viewer are inside the binary: a deep link, its assets, the page in Chromium.
      const html = await (await fetch(`${url}/review`)).text();
      const assets = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!);
      const statuses = await Promise.all(
        [...assets, 'docs/assets/swagger-ui-bundle.js', 'sw.js'].map(async (a) => (await fetch(`${url}/${a}`)).status),
      );
      await using browser = await startBrowser();
      const page = await browser.page(url);
      await page.goto(`${url}/live`);
      await page.waitForSelector('#login-title', { timeout: 30_000 });
      await shot(page, 'binary-login');
      expect({ assets: assets.length, statuses, problems: page.problems }).toEqual({
        assets: 2,
        statuses: [200, 200, 200, 200],
        problems: [],
      });
    } finally {
      server.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  }, 180_000);
});
