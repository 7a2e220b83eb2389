/**
 * Read text in a real browser (issue 34): a bus photo played as a looping camera through a plates
 * pipeline; Live draws its plate on the box, the Events list and Review read "bus · NA52BUU"; a run
 * with ocr@1 over library photos makes Explore's Text filter find the photo with J.P.Morgan on it.
 * One appliance, one browser. Screenshots: ocr-*.png.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import { ensureModel, startAppliance, stream, tempDir, waitFor, type Appliance } from '../helpers/fixtures';
import { busClip, OCR_MODELS, runOverPhotos, writeOcrPipelines } from '../helpers/ocr';
import { shot, startBrowser, until, type Browsing } from '../helpers/browser';

let app: Appliance;
let browser: Browsing;
let page: Page & { problems: string[] };
let clips: { path: string } & AsyncDisposable;

beforeAll(async () => {
  await ensureModel(...OCR_MODELS);
  clips = await tempDir('fovea-ui-ocr-');
  const clip = await busClip(clips.path, 4);
  app = await startAppliance({ api: { auth: false, rate_limit_per_minute: 1_000_000 } });
  await writeOcrPipelines(app, true);
  const dir = app.rt.streams.pipelinesDir;
  const streams = [
    stream({
      id: 'stop',
      url: clip,
      pipeline: 'plates-live',
      fps: 5,
      realtime: true,
      loop: true,
      review: { gap_s: 1, max_s: 5 },
    }),
  ];
  await app.rt.streams.reconcile(streams, dir, null);
  app.rt.reviews.apply(streams);
  browser = await startBrowser();
  page = await browser.page(app.url);
}, 180_000);

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await app?.[Symbol.asyncDispose]();
  await clips?.[Symbol.asyncDispose]();
});

test('Live draws the plate; the Events list and Review read it', async () => {
  await page.goto(`${app.url}/live/stop`);
  await until(page, `[...document.querySelectorAll('svg g.det text')].some((t) => t.textContent.includes('NA52BUU'))`);
  await shot(page, 'ocr-live');
  await waitFor(
    async () =>
      ((await (await app.api('/api/review?stream=stop')).json()) as { items: Array<{ texts: string[] }> }).items.some(
        (i) => i.texts.includes('NA52BUU'),
      ),
    60_000,
    'a review item with the plate',
  );
  await page.goto(`${app.url}/review?severity=detection`);
  await page.locator('.items li[data-item] .item-what >> text=bus · NA52BUU').first().waitFor();
  await shot(page, 'ocr-review');
  await page.goto(`${app.url}/events`);
  await page.locator('text=/bus · NA52BUU #\\d+ entered stop/').first().waitFor();
  expect(page.problems).toEqual([]);
}, 120_000);

test("Explore's Text filter finds the photos a run read", async () => {
  const { ids } = await runOverPhotos(app, 'signs', ['000000000885.jpg', '000000000139.jpg']);
  await page.goto(`${app.url}/explore`);
  await page.waitForSelector(`.tile[data-image="${ids[1]}"]`);
  await page.fill('.library-head input[name=text]', 'morgan');
  await page.press('.library-head input[name=text]', 'Enter');
  await page.locator(`.tile[data-image="${ids[1]}"]`).waitFor({ state: 'detached' });
  await shot(page, 'ocr-explore');
  const shown = await page
    .locator('.tile[data-image]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-image')));
  expect(shown).toEqual([ids[0]!]);
  expect(page.problems).toEqual([]);
}, 120_000);
