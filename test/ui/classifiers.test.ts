/**
 * Classifiers in a real browser (issue 33): the Classifiers page is reached from Explore; a
 * classifier is made in its form (one class only is refused with the server's words); photos selected in
 * Explore are labelled as one class and then another ("Label as"); the page shows the examples per
 * class, evaluates (accuracy, the confusion matrix with precision and recall) and saves the head,
 * which the API then lists; a crop in the "to label" inbox is labelled with one click. An event's
 * object, a review item's objects and a state classifier's region of the live frame are labelled
 * from their pages. One appliance,
 * one browser. Screenshots: classifiers-*.png.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  COCO,
  fileBlob,
  form,
  personStream,
  startAppliance,
  stream,
  waitFor,
  type Appliance,
} from '../helpers/fixtures';
import { PHONE, shot, startBrowser, type Browsing } from '../helpers/browser';

let app: Appliance;
let browser: Browsing;
let page: Page & { problems: string[] };
const ids: string[] = [];

beforeAll(async () => {
  app = await startAppliance({ api: { auth: false, rate_limit_per_minute: 1_000_000 } });
  for (const f of readdirSync(COCO).sort().slice(0, 8)) {
    const r = await app.api('/api/images', {
      method: 'POST',
      body: form({ file: [await fileBlob(join(COCO, f)), f] }),
    });
    ids.push(((await r.json()) as { image_id: string }).image_id);
  }
  browser = await startBrowser();
  page = await browser.page(app.url);
}, 120_000);

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await app?.[Symbol.asyncDispose]();
});

test('make a classifier, label a selection in Explore as one class and another, evaluate and save', async () => {
  await page.goto(`${app.url}/explore`);
  await page.click('.library-head >> text=Classifiers');
  await page.waitForURL(/\/classifiers$/);
  await page.fill('input[name=label]', 'scene');
  await page.fill('input[name=name]', 'scenes');
  await page.fill('input[name=classes]', 'indoor');
  await page.click('text=Make classifier');
  const refused = await page.locator('.classifiers .error').textContent();
  expect(refused).toContain('classes');
  await page.fill('input[name=classes]', 'indoor, outdoor');
  await page.click('text=Make classifier');
  await page.locator('.classifier >> text=scenes').waitFor();

  const label = async (which: string[], as: string) => {
    await page.goto(`${app.url}/explore`);
    for (const id of which) await page.check(`.tile[data-image="${id}"] .tile-select`);
    await page.waitForSelector(`form.bulk >> text=${which.length} selected`);
    await page.selectOption('form.bulk select[aria-label="Label as"]', `scenes/${as}`);
    await page.click('form.bulk button:text("Label")');
    await page.locator(`text=Labelled ${which.length} as scenes: ${as}.`).waitFor();
  };
  await label(ids.slice(0, 4), 'indoor');
  await shot(page, 'classifiers-label');
  await label(ids.slice(4, 8), 'outdoor');

  await page.goto(`${app.url}/classifiers`);
  const card = page.locator('.classifier');
  await card.waitFor();
  expect(await card.locator('.figure').allTextContents()).toEqual(['4indoor examples', '4outdoor examples']);
  await card.locator('button:text("Evaluate")').click();
  await card.locator('table.confusion').waitFor();
  const cells = await card.locator('table.confusion tbody td').allTextContents();
  // Two rows of two counts, then precision and recall: the counts add up to the 8 examples.
  const counts = [cells[0], cells[1], cells[4], cells[5]].map(Number);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(8);
  await shot(page, 'classifiers-evaluated');
  await card.locator('button:text("Save")').click();
  await card.locator('text=/^Saved /').waitFor();
  const listed = (await (await app.api('/api/classifiers')).json()) as {
    items: Array<{ name: string; trained: { onnx_sha256: string } | null }>;
  };
  expect(listed.items.map((c) => [c.name, /^[0-9a-f]{64}$/.test(c.trained?.onnx_sha256 ?? '')])).toEqual([
    ['scenes', true],
  ]);
  // A crop in the "to label" inbox (a live stream puts them there: test/integration/classifiers.test.ts):
  // one click labels it, and the examples grow.
  await app.rt.classifierStore.addInbox({
    id: 'inbox-1',
    classifier: 'scenes',
    imageId: ids[0]!,
    box: [10, 10, 200, 200],
    stream: 'cam',
    reason: 'unsure',
    guess: 'outdoor',
    score: 0.52,
  });
  await page.reload();
  await card.locator('.inbox >> text=To label (1)').waitFor();
  await shot(page, 'classifiers-inbox');
  await card.locator('.inbox li[data-inbox="inbox-1"] button:text("indoor")').click();
  await card.locator('.inbox').waitFor({ state: 'detached' });
  await waitFor(
    async () => (await card.locator('.figure').allTextContents())[0] === '5indoor examples',
    10_000,
    'five indoor examples',
  );
  const phone = await browser.page(app.url, PHONE);
  await phone.goto(`${app.url}/classifiers`);
  await phone.locator('.classifier table.confusion').waitFor();
  await shot(phone, 'classifiers-phone');
  expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
  expect([...page.problems, ...phone.problems]).toEqual([]);
}, 120_000);

test("label from what the box saw: an event's object, a review item's objects, the live frame's region", async () => {
  const streams = [
    stream({
      ...personStream('hall'),
      realtime: false,
      pipeline: 'people',
      review: { gap_s: 1, max_s: 5 },
    }),
  ];
  await app.rt.streams.reconcile(streams, app.rt.streams.pipelinesDir, null);
  app.rt.reviews.apply(streams);
  const post = (path: string, body: object) =>
    app.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/api/classifiers', { name: 'who', kind: 'object', label: 'person', classes: ['staff', 'guest'] });
  await post('/api/classifiers', {
    name: 'table',
    kind: 'state',
    stream: 'hall',
    region: [0.2, 0.4, 0.8, 1],
    classes: ['busy', 'free'],
  });
  type Ev = { id: string; image_id: string | null; detail: { snapshot_box?: number[] } };
  const event = await waitFor(
    async () => {
      await app.rt.sink.flush();
      const r = (await (await app.api('/api/events?stream=hall&type=enter&limit=20')).json()) as { items: Ev[] };
      return r.items.find((e) => e.image_id && e.detail.snapshot_box);
    },
    60_000,
    'an event with a snapshot of its object',
  );
  const item = await waitFor(
    async () =>
      (
        (await (await app.api('/api/review?stream=hall')).json()) as { items: Array<{ id: string; events: string[] }> }
      ).items.find((i) => i.events.length),
    30_000,
    'a review item with events',
  );
  const labelOn = async (path: string, as: string, button: string) => {
    await page.goto(`${app.url}${path}`);
    await page.selectOption('select[aria-label="Label as"]', as);
    await page.click(`.label-as button:text("${button}")`);
    return (await page.locator('.label-as [role=status]').textContent()) ?? '';
  };
  const onLive = await labelOn('/live/hall', 'table/busy', 'Label this frame');
  await shot(page, 'classifiers-live-frame');
  // Only a state classifier of this stream is offered for its frames.
  const offered = await page.locator('select[aria-label="Label as"] option').allTextContents();
  await app.rt.streams.reconcile([], app.rt.streams.pipelinesDir, null);
  app.rt.reviews.apply([]);
  const onEvent = await labelOn(`/events/${event.id}`, 'who/staff', 'Label');
  await shot(page, 'classifiers-event');
  const onItem = await labelOn(`/review/${item.id}`, 'who/guest', 'Label its objects');
  expect([onLive, offered, onEvent, onItem]).toEqual([
    'Labelled 1 as table: busy.',
    ['Label as…', 'table: busy', 'table: free'],
    'Labelled 1 as who: staff.',
    expect.stringMatching(/^Labelled \d+ as who: guest\.$/),
  ]);
  const examples = (await (await app.api('/api/classifiers/who/examples')).json()) as {
    items: Array<{ class: string; image_id: string; box: number[] }>;
  };
  // The event's object is an example (of guest, if the review item holds the same object: relabelled).
  expect(examples.items.find((e) => e.image_id === event.image_id)).toMatchObject({ box: event.detail.snapshot_box });
  expect(page.problems).toEqual([]);
}, 150_000);
