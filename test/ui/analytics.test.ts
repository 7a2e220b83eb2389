/**
 * The Analytics pages in a real browser (Debian's Chromium) against a real appliance with public
 * analytics: sixty days of counts (stored as the pipeline stores them, then refreshed) shown without
 * signing in; a session made in the editor (a bad window refused inline, nothing typed lost), which
 * then scopes the calendar; the calendar cells, the class table and its sparklines agreeing with the
 * API; a day picked for hourly detail; classes toggled on the chart; phone width. One appliance and
 * one browser for the file, tests in order. Screenshots: test-artifacts/screenshots/analytics-*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import { startAppliance, type Appliance } from '../helpers/fixtures';
import { PHONE, shot, startBrowser, until, type Browsing } from '../helpers/browser';

// biome-ignore lint/suspicious/noExplicitAny: API answers are read field by field
type Json = Record<string, any>;

let app: Appliance;
let browser: Browsing;
const pages: Array<Page & { problems: string[] }> = [];
const CLASSES = ['deer', 'fox', 'hare', 'boar', 'badger'];
const FIRST = Date.parse('2026-03-01T00:00:00Z');

beforeAll(async () => {
  app = await startAppliance({
    analytics: { time_zone: 'UTC', independence_s: 1800, public: true },
  });
  await app.rt.users.create('olga', 'operator', 'olga password 1');
  // Sixty days at a trail camera: a class visits on day d at hour h when (d + h × class) mod 5 < its rank.
  const session = Bun.randomUUIDv7();
  let seq = 0;
  for (let d = 0; d < 60; d++)
    for (let h = 0; h < 24; h += 3) {
      const detections = CLASSES.flatMap((label, c) =>
        (d + h * (c + 1)) % 5 < 5 - c
          ? [
              {
                label,
                classId: c,
                score: 0.8,
                box: [0, 0, 10, 10] as [number, number, number, number],
                trackId: d * 100 + h * 10 + c,
              },
            ]
          : [],
      );
      await app.rt.sink.frame({
        sessionId: session,
        revision: null,
        stream: 'trail',
        seq: seq++,
        ptsS: 0,
        timestamp: new Date(FIRST + d * 86_400_000 + h * 3_600_000),
        detections,
      });
    }
  await app.rt.sink.flush();
  await app.rt.analytics.refresh();
  browser = await startBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await app?.[Symbol.asyncDispose]();
});

const api = async (path: string) => (await (await app.api(path)).json()) as Json;

async function signIn(p: Page) {
  await p.goto(`${app.url}/login`);
  await p.fill('input[name=username]', 'olga');
  await p.fill('input[name=password]', 'olga password 1');
  await p.click('button[type=submit]');
  await p.waitForSelector('nav[aria-label=Main] >> text=Analytics');
}

describe('analytics pages', () => {
  test('without signing in: the calendar, chart and classes of public analytics; nothing else in the menu', async () => {
    const page = await browser.page(app.url);
    pages.push(page);
    await page.goto(`${app.url}/analytics?from=2026-03-01`);
    await page.waitForSelector('.cal-cell[data-value]');
    await page.waitForSelector('table.classes tbody tr');
    await page.waitForSelector('.series-chart canvas');
    const nav = await page.$$eval('nav[aria-label=Main] a', (as) => as.map((a) => a.textContent));
    const days = await page.$$eval('.cal-cell[data-day][data-value]', (cs) => cs.length);
    const rows = await page.$$eval('table.classes tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
    await shot(page, 'analytics-public');
    expect(nav).toEqual(['Analytics']);
    expect(await page.isVisible('text=Sign in')).toBe(true);
    expect(days).toBe(60);
    expect(rows.sort()).toEqual([...CLASSES].sort());
  }, 60_000);

  test('signed in: the calendar cells and the class table agree with the API; sparklines per class', async () => {
    const page = await browser.page(app.url);
    pages.push(page);
    await signIn(page);
    await page.goto(`${app.url}/analytics?metric=richness`);
    await page.waitForSelector('.cal-cell[data-value]');
    const cal = await api('/api/analytics/calendar/richness');
    const cells = await page.$$eval('.cal-cell[data-value]', (cs) =>
      cs.map((c) => [c.getAttribute('data-day'), Number(c.getAttribute('data-value'))]),
    );
    expect(Object.fromEntries(cells)).toEqual(Object.fromEntries((cal.days as Json[]).map((d) => [d.day, d.value])));
    await page.waitForSelector('table.classes .spark polyline');
    const table = await page.$$eval('table.classes tbody tr', (trs) =>
      trs.map((tr) => [
        tr.children[0]!.textContent,
        Number(tr.children[1]!.textContent),
        tr.querySelector('polyline')!.getAttribute('points')!.split(' ').length,
      ]),
    );
    const classes = await api('/api/analytics/classes');
    expect(table.map((r) => [r[0], r[1]])).toEqual((classes.classes as Json[]).map((c) => [c.label, c.total]));
    // A sparkline has a point per day of the calendar's range.
    expect(table.every((r) => r[2] === 365)).toBe(true);
    await shot(page, 'analytics-richness');
  }, 60_000);

  test('a day picked: its classes, and its hours on the chart; classes toggled on and off the chart', async () => {
    const page = await browser.page(app.url);
    pages.push(page);
    await signIn(page);
    await page.goto(`${app.url}/analytics?interval=hour`);
    await page.waitForSelector('.cal-cell[data-day="2026-03-10"]');
    await page.click('.cal-cell[data-day="2026-03-10"]');
    await page.waitForSelector('text=Classes on 2026-03-10');
    const want = await api('/api/analytics/classes?from=2026-03-10&to=2026-03-10');
    const rows = await page.$$eval('table.classes tbody tr', (trs) =>
      trs.map((tr) => [tr.children[0]!.textContent, Number(tr.children[1]!.textContent)]),
    );
    expect(rows).toEqual((want.classes as Json[]).map((c) => [c.label, c.total]));
    // The hourly chart of that day: 8 visits (every 3 hours) in the legend's x range.
    const hours = await api('/api/analytics/time-series?interval=hour&from=2026-03-10&to=2026-03-10');
    expect((hours.points as Json[]).length).toBe(8);
    await page.waitForSelector('.series-chart canvas');
    const before = await page.$$eval('.series-chart .u-legend .u-series', (s) => s.length);
    const off = (await page.$$eval('.chips .chip.on', (cs) => cs.map((c) => c.textContent)))[0]!;
    await page.click(`.chips .chip:has-text("${off}")`);
    await until(page, `document.querySelectorAll('.series-chart .u-legend .u-series').length === ${before - 1}`);
    expect(new URL(page.url()).searchParams.get('classes')!.split(',')).not.toContain(off);
    await shot(page, 'analytics-day');
  }, 60_000);

  test('sessions: a bad window is refused inline with what was typed kept; a good one scopes the views', async () => {
    const page = await browser.page(app.url);
    pages.push(page);
    await signIn(page);
    await page.goto(`${app.url}/analytics/sessions`);
    await page.waitForSelector('text=No sessions yet');
    await page.click('text=New session');
    await page.fill('input[name=name]', 'Spring survey');
    await page.fill('input[name=starts_at]', '2026-04-10T00:00');
    await page.fill('input[name=ends_at]', '2026-04-01T00:00');
    await page.check('input[name="stream:trail"]');
    await page.click('button:text("Create")');
    await page.waitForSelector('.error');
    expect([await page.textContent('.error'), await page.inputValue('input[name=name]')]).toEqual([
      expect.stringMatching(/^ends_at: must be after starts_at/),
      'Spring survey',
    ]);
    await shot(page, 'analytics-session-error');
    // Mended, it is made, and the views follow it.
    await page.fill('input[name=starts_at]', '2026-04-01T00:00');
    await page.fill('input[name=ends_at]', '2026-04-11T00:00');
    await page.click('button:text("Create")');
    await page.waitForURL(/session=/);
    const made = { id: new URL(page.url()).searchParams.get('session')! };
    await page.goto(`${app.url}/analytics/sessions`);
    await page.click('text=Spring survey');
    await page.waitForURL(/session=/);
    await page.waitForSelector('.cal-cell[data-value]');
    const days = await page.$$eval('.cal-cell[data-value]', (cs) => cs.map((c) => c.getAttribute('data-day')));
    expect([days.length, days[0], days.at(-1)]).toEqual([10, '2026-04-01', '2026-04-10']);
    expect(await page.textContent('.session-line')).toContain('trail');
    await shot(page, 'analytics-session');
    // Edit: the editor shows the session; renaming it keeps the rest.
    await page.goto(`${app.url}/analytics/sessions/${made.id}`);
    await page.waitForSelector('input[name=name]');
    expect(await page.inputValue('input[name=starts_at]')).not.toBe('');
    await page.fill('textarea[name=description]', 'ten days in April');
    await page.click('button:text("Save")');
    await page.waitForURL(/session=/);
    expect((await api(`/api/sessions/${made.id}`)).description).toBe('ten days in April');
  }, 60_000);

  test('phone width; no page error and no request to another origin on any page', async () => {
    const page = await browser.page(app.url, PHONE);
    pages.push(page);
    await page.goto(`${app.url}/analytics`);
    await page.waitForSelector('.cal-cell[data-value]');
    await shot(page, 'analytics-phone');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    expect(pages.flatMap((p) => p.problems)).toEqual([]);
  }, 60_000);
});
