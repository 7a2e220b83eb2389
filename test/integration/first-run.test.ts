/**
 * First run: a box whose models are not in place yet starts anyway, shows why its stream waits and
 * refuses image uploads with 503 model_unavailable (storing nothing), retries the pull, and once the
 * models reach its mirror, pulls them, verifies them, starts the stream and takes uploads. Real
 * appliance, real models copied into a mirror directory mid-test; upstream downloads are off
 * (models.upstream: false), as on an air-gapped box, so the failure is the box's own, not the network's.
 * The System page is read in Chromium while the models are missing.
 */
import { describe, expect, test } from 'bun:test';
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { shot, startBrowser } from '../helpers/browser';
import { form, IMAGES, personStream, SHARED, startAppliance, tempDir, waitFor } from '../helpers/fixtures';

describe('first run', () => {
  test('missing models: the box serves, the stream waits and says why, uploads answer 503; once the mirror has them, all starts', async () => {
    await using models = await tempDir();
    await using mirror = await tempDir();
    const t0 = performance.now();
    await using app = await startAppliance({
      models: { dir: models.path, mirror: mirror.path, upstream: false, providers: ['cpu'] },
      streams: [personStream()],
    });
    const startedInS = (performance.now() - t0) / 1000;
    const stream = () => app.api('/api/streams/table').then((r) => r.json() as Promise<Record<string, unknown>>);
    const waiting = await waitFor(
      async () => {
        const s = await stream();
        return s.state === 'model_missing' && s;
      },
      10_000,
      'the stream to show model_missing',
    );
    const photo = Bun.file(join(IMAGES, 'dog.jpg'));
    const refused = await app.api('/api/images', { method: 'POST', body: form({ file: [photo, 'dog.jpg'] }) });
    const refusedBody = (await refused.json()) as { error: { code: string; message: string } };
    const health = await fetch(`${app.url}/health`);
    const pulls = ((await health.json()) as { checks: { models: { detail: { pulls: Array<{ state: string }> } } } })
      .checks.models.detail.pulls;
    const stored = ((await (await app.api('/api/images')).json()) as { total: number }).total;
    // What a person sees meanwhile: System says degraded and why each model is not there yet.
    await using browser = await startBrowser();
    const page = await browser.page(app.url);
    // The first person to open an empty box makes the first admin.
    await page.goto(`${app.url}/system`);
    await page.fill('input[name=username]', 'ann');
    await page.fill('input[name=password]', 'ann password 1');
    await page.fill('input[name=confirm]', 'ann password 1');
    await page.click('button[type=submit]');
    await page.waitForSelector('.pulls li[data-model="yolox-nano@1"]', { timeout: 15_000 });
    const system = {
      health: await page.getAttribute('.card:has(h2:text("Health")) .badge', 'data-state'),
      pulls: await page.locator('.pulls li').allTextContents(),
    };
    await shot(page, 'system-first-run');

    // The models reach the mirror (an operator copies them, or a USB stick is mounted); the next try takes them.
    for (const f of await readdir(join(SHARED, 'models')))
      if (f.endsWith('.onnx')) await copyFile(join(SHARED, 'models', f), join(mirror.path, f));
    await waitFor(async () => (await stream()).state === 'running', 40_000, 'the stream to start');
    const accepted = await app.api('/api/images', { method: 'POST', body: form({ file: [photo, 'dog.jpg'] }) });
    const healthAfter = await fetch(`${app.url}/health`);

    expect({
      startedInS,
      waiting: { state: waiting.state, why: waiting.last_error, retry: typeof waiting.next_retry_at },
      refused: [refused.status, refusedBody.error.code, refusedBody.error.message],
      health: health.status,
      system,
      pulls: pulls.map((p) => p.state),
      stored,
      accepted: accepted.status,
      healthAfter: healthAfter.status,
    }).toEqual({
      startedInS: expect.atMost(10),
      waiting: {
        state: 'model_missing',
        why: expect.stringMatching(/waits for its model: pulling .* failed \(.*not in the mirror.*models\.upstream\)/),
        retry: 'string',
      },
      refused: [503, 'model_unavailable', expect.stringMatching(/embedding model mobilenetv2-embed@1 is not ready/)],
      health: 503,
      system: {
        health: 'degraded',
        pulls: [
          expect.stringMatching(/model missing mobilenetv2-embed@1 .*not in the mirror .*attempt \d/),
          expect.stringMatching(/model missing yolox-nano@1 .*not in the mirror .*attempt \d/),
        ],
      },
      pulls: ['failed', 'failed'],
      stored: 0,
      accepted: 201,
      healthAfter: 200,
    });
  }, 90_000);
});
