/**
 * What a person trying fovea for the first time runs into (issue 29), in Chromium against a real
 * appliance with auth on, a stream with a 63-character name playing the person video, one run and
 * one API key: wrong addresses, labels and panels on Live, the phone menu and widths, System's box
 * figures and user rows, the analytics chart's axis and readout and its plain metric names. One
 * appliance and one browser for the file; the tests build on each other (the first signs in).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { COCO, personStream, startAppliance, stream, waitFor, type Appliance } from '../helpers/fixtures';
import { PHONE, shot, startBrowser, until, type Browsing } from '../helpers/browser';

const LONG = `entrance-${'x'.repeat(54)}`;
const ADMIN = { username: 'nina', password: 'nina password 1' };
let app: Appliance;
let browser: Browsing;
let page: Page & { problems: string[] };

beforeAll(async () => {
  app = await startAppliance({
    api: { auth: true, rate_limit_per_minute: 1_000_000, people_rate_limit_per_minute: 1_000_000 },
    streams: [stream({ ...personStream(), id: LONG })],
  });
  const signup = await fetch(`${app.url}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  expect(signup.status).toBe(201);
  browser = await startBrowser();
  page = await browser.page(app.url);
  await page.goto(`${app.url}/live`);
  await page.fill('input[name=username]', ADMIN.username);
  await page.fill('input[name=password]', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav[aria-label=Main]');
}, 120_000);

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await app?.[Symbol.asyncDispose]();
});

describe('a new user', () => {
  test('a mistyped address shows the app’s own “not found” with the menu; an API path keeps its JSON 404', async () => {
    await page.goto(`${app.url}/explroe`);
    await page.waitForSelector('.not-found');
    const text = await page.textContent('.not-found');
    const nav = await page.$$eval('nav[aria-label=Main] a', (as) => as.length);
    await shot(page, 'not-found');
    const api = await fetch(`${app.url}/api/nosuch`, { headers: { accept: 'text/html' } });
    expect([text, nav, api.status, api.headers.get('content-type')]).toEqual([
      expect.stringContaining('There is no page at /explroe'),
      7,
      401,
      'application/json',
    ]);
  });

  test('/live/<unknown> and /streams/<unknown> say there is no such stream', async () => {
    await page.goto(`${app.url}/live/nosuch`);
    await page.waitForSelector('text=No such stream');
    await page.goto(`${app.url}/streams/nosuch`);
    await page.waitForSelector('text=No such stream');
  });

  test('Streams asks for no shadow report of a stream without one (no 404 every 3 s)', async () => {
    const asked: string[] = [];
    page.on('request', (r) => {
      if (/\/api\/shadow\/./.test(r.url())) asked.push(r.url());
    });
    const listed = page.waitForResponse((r) => /\/api\/shadow$/.test(new URL(r.url()).pathname));
    await page.goto(`${app.url}/streams/${LONG}`);
    await listed;
    await page.waitForSelector(`[data-stage=detect]`);
    expect(asked).toEqual([]);
  });

  test('Live: labels on a tile are at least 11 px; the events panel opens with the latest stored events', async () => {
    await waitFor(
      async () => ((await (await app.api('/api/events?limit=1')).json()) as { total: number }).total > 0,
      60_000,
      'a first event',
    );
    const loadedAt = Date.now();
    await page.goto(`${app.url}/live`);
    await page.waitForSelector('.ticker li');
    const oldest = await page.$$eval('.ticker li', (ls) => ls.map((l) => Date.parse(l.getAttribute('data-at')!)));
    expect(Math.min(...oldest)).toBeLessThan(loadedAt);
    await page.waitForSelector('.overlay .det text');
    const px = await page.$$eval('.overlay .det text', (ts) => ts.map((t) => t.getBoundingClientRect().height));
    await shot(page, 'live-labels');
    expect(Math.min(...px)).toBeGreaterThanOrEqual(11);
  }, 90_000);

  test('System: the box’s CPU, memory and disk, its warnings; the only admin cannot demote or remove itself; a key says what it may do; “1 run”', async () => {
    await app.rt.keys.create('nina-script', { user_id: app.rt.users.byName('nina')!.id });
    const form = new FormData();
    form.append('spec', JSON.stringify({ pipeline: 'objects' }));
    form.append('files', new File([Bun.file(join(COCO, '000000000139.jpg'))], 'a.jpg'));
    expect((await app.api('/api/runs', { method: 'POST', body: form })).status).toBe(202);
    await page.goto(`${app.url}/system`);
    await page.waitForSelector('.card:has(h2:text("This box")) .figure');
    const figures = await page.$$eval('.card:has(h2:text("This box")) .figure-label', (ls) =>
      ls.map((l) => l.textContent),
    );
    await page.waitForSelector('tr[data-user=nina]');
    const sole = await page.$eval('tr[data-user=nina]', (tr) => ({
      disabled: (tr.querySelector('select') as unknown as { disabled: boolean }).disabled,
      remove: !!tr.querySelector('button.danger'),
    }));
    const key = await page.textContent('tr[data-key=nina-script]');
    await shot(page, 'system-box');
    await page.goto(`${app.url}/runs`);
    await page.waitForSelector('text=1 run');
    // No runs.video_dirs on this box: New run does not offer a clip by path.
    const asked = page.waitForResponse((r) => r.url().includes('/api/runs?limit=1'));
    await page.goto(`${app.url}/runs/new`);
    expect(((await (await asked).json()) as { clips: boolean }).clips).toBe(false);
    await page.waitForSelector('select[name=pipeline] option[value=objects]', { state: 'attached' });
    expect(await page.$('input[name=video]')).toBeNull();
    expect({ figures, sole, key, problems: !!(await app.api('/api/system').then((r) => r.json())) }).toEqual({
      figures: [
        expect.stringContaining('load'),
        'fovea CPU %',
        expect.stringContaining('memory'),
        expect.stringContaining('disk'),
      ],
      sole: { disabled: true, remove: false },
      key: expect.stringContaining('all of nina’s role'),
      problems: true,
    });
  }, 60_000);

  test('Analytics: plain metric names, opening on classes seen; the axis spans the asked days; the readout shows values', async () => {
    await page.goto(`${app.url}/analytics`);
    await page.waitForSelector('.metric-meaning');
    const meaning = await page.textContent('.metric-meaning');
    // Per day, the page asks for the calendar's range (the year to today): the axis spans exactly
    // that, not what uPlot would guess around the one day with data.
    const cal = (await (await app.api('/api/analytics/calendar/richness')).json()) as { from: string; to: string };
    const day = (d: string) => Date.parse(`${d.slice(0, 10)}T00:00:00Z`) / 1000;
    const want = [day(cal.from), day(cal.to) + 86_400];
    await until(
      page,
      (w: number[]) => {
        const doc = (
          globalThis as unknown as {
            document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
          }
        ).document;
        const el = doc.querySelector('.series-chart [data-x-min]');
        return el && Number(el.getAttribute('data-x-min')) === w[0] && Number(el.getAttribute('data-x-max')) === w[1];
      },
      want,
    );
    // Hover the chart: the readout of the metric shows a number, not "--".
    const box = (await page.$('.series-chart .u-over'))!;
    const b = (await box.boundingBox())!;
    await page.mouse.move(b.x + b.width - 2, b.y + b.height / 2);
    await until(
      page,
      "[...document.querySelectorAll('.series-chart .u-legend .u-series .u-value')].some((v) => /\\d/.test(v.textContent))",
    );
    await shot(page, 'analytics-readout');
    expect(meaning).toBe('Classes seen (richness): How many different classes were seen.');
  }, 60_000);

  test('on a phone: every page of the menu in sight, and no page wider than the screen with a 63-character stream', async () => {
    const phone = await browser.page(app.url, PHONE);
    await phone.goto(`${app.url}/live`);
    await phone.fill('input[name=username]', ADMIN.username);
    await phone.fill('input[name=password]', ADMIN.password);
    await phone.click('button[type=submit]');
    await phone.waitForSelector('nav[aria-label=Main]');
    const hidden = await phone.$$eval('nav[aria-label=Main] a', (as) =>
      as
        .filter(
          (a) =>
            a.getBoundingClientRect().right > (globalThis as unknown as { innerWidth: number }).innerWidth ||
            a.getBoundingClientRect().width === 0,
        )
        .map((a) => a.textContent),
    );
    const wide: Record<string, number> = {};
    for (const [path, ready] of [
      ['/live', '.grid'],
      ['/streams', '.stream-list'],
      ['/analytics', '.metric-meaning'],
      ['/system', 'tr[data-user=nina]'],
      ['/runs', 'text=1 run'],
      ['/explore', '.drop'],
      ['/review', '.review-head'],
      ['/events', '.events'],
    ] as const) {
      await phone.goto(app.url + path);
      await phone.waitForSelector(ready);
      wide[path] = await phone.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    }
    // A photo with a long name: its pane keeps its buttons on the screen.
    const form = new FormData();
    form.append('file', new File([Bun.file(join(COCO, '000000000285.jpg'))], 'bear.jpg'));
    form.append('name', `a-very-long-photo-name-${'without-spaces-'.repeat(8)}end`);
    const photo = (
      (await (await app.api('/api/images', { method: 'POST', body: form })).json()) as { image_id: string }
    ).image_id;
    await phone.goto(`${app.url}/explore?photo=${photo}`);
    await phone.waitForSelector('.photo-pane');
    const close = (await (await phone.$('.photo-pane [aria-label="Close the photo"]'))!.boundingBox())!;
    await shot(phone, 'explore-phone-long-name');
    expect(close.x + close.width).toBeLessThanOrEqual(PHONE.width);
    await phone.goto(`${app.url}/analytics`);
    await phone.waitForSelector('.metric-meaning');
    await shot(phone, 'analytics-phone-long-stream');
    await phone.goto(`${app.url}/system`);
    await phone.waitForSelector('tr[data-user=nina]');
    await shot(phone, 'system-phone-users');
    expect({ hidden, wide }).toEqual({ hidden: [], wide: Object.fromEntries(Object.keys(wide).map((k) => [k, 0])) });
    expect([...page.problems, ...phone.problems]).toEqual([]);
  }, 120_000);
});
