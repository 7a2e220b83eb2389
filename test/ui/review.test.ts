/**
 * Review and the recordings timeline in a real browser (Debian's Chromium) against a real appliance
 * that records the person clip, played as a camera, by stream copy: items listed alerts first, the
 * chosen item's clip plays (its currentTime advances), keys move and mark, "mark all reviewed";
 * the timeline shows what is recorded, a click plays from there, an export downloads an MP4 that
 * ffprobe reads with the asked length; an event's page plays its clip. One appliance and one
 * browser for the file. Screenshots: test-artifacts/screenshots/review-*.png, timeline-*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { personStream, startAppliance, stream, tempDir, waitFor, type Appliance } from '../helpers/fixtures';
import { PHONE, shot, startBrowser, until, type Browsing } from '../helpers/browser';
import { probeVideo } from '../helpers/media';

let app: Appliance;
let browser: Browsing;
let page: Page & { problems: string[] };

beforeAll(async () => {
  app = await startAppliance({
    api: { auth: false, rate_limit_per_minute: 1_000_000 },
    recordings: { min_free_mb: 0, check_interval_s: 1 },
    streams: [
      stream({
        ...personStream('door'),
        record: { enabled: true, mode: 'continuous', segment_s: 2, pre_s: 2, post_s: 2 },
        review: { gap_s: 2, max_s: 20 },
      }),
    ],
  });
  browser = await startBrowser();
  page = await browser.page(app.url);
}, 120_000);

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await app?.[Symbol.asyncDispose]();
});

type Item = { id: string; end: string | null; events: string[]; reviewed: boolean };
const items = async (q = '') =>
  ((await (await app.api(`/api/review?severity=alert${q}`)).json()) as { items: Item[] }).items;

/** The player's video plays: its currentTime moves on. */
const plays = (p: Page, sel: string) =>
  until(
    p,
    `(() => { const v = document.querySelector(${JSON.stringify(sel)}); return !!v && v.readyState >= 2 && v.currentTime > 0.5; })()`,
  );
const play = (p: Page, sel: string) => p.evaluate(`void document.querySelector(${JSON.stringify(sel)}).play()`);
const ON_ITEM = "document.querySelector('.items li.on')?.getAttribute('data-item')";

describe('review', () => {
  test('items, alerts apart, the chosen clip plays; keys move and mark; mark all reviewed', async () => {
    await waitFor(async () => (await items()).filter((i) => i.end).length >= 2, 120_000, 'two ended alert items');
    await page.goto(`${app.url}/review`);
    await page.waitForSelector('.items li[data-item]');
    await plays(page, '.item-player video.clip');
    await shot(page, 'review-items');
    const chosen = () => page.getAttribute('.items li.on', 'data-item');
    const first = await chosen();
    await page.keyboard.press('j');
    await until(page, `${ON_ITEM} !== ${JSON.stringify(first)}`);
    const second = await chosen();
    await page.keyboard.press('r');
    await waitFor(async () => (await items()).find((i) => i.id === second)?.reviewed, 10_000, 'r marks it reviewed');
    await page.keyboard.press('k');
    await until(page, `${ON_ITEM} === ${JSON.stringify(first)}`);
    // The preview plays on hover.
    await page.hover(`.items li[data-item="${second}"] .item-tile`);
    await until(page, `(document.querySelector('[data-item="${second}"] video.preview')?.currentTime ?? 0) > 0.2`);
    await page.click('text=Mark all reviewed');
    await waitFor(async () => (await items('&reviewed=false')).length === 0, 10_000, 'all reviewed');
    await page.click('role=tab[name="Detections"]');
    await page.waitForURL(/severity=detection/);
    expect(page.problems).toEqual([]);
  }, 180_000);

  test("an item's page and an event's page play their clip", async () => {
    const it = (await items()).find((i) => i.end && i.events.length)!;
    await page.goto(`${app.url}/review/${it.id}`);
    await page.waitForSelector('.review-item video.clip');
    await play(page, '.review-item video.clip');
    await plays(page, '.review-item video.clip');
    await shot(page, 'review-item');
    await page.goto(`${app.url}/events/${it.events[0]}`);
    await page.waitForSelector('.event-detail video.clip');
    await play(page, '.event-detail video.clip');
    await plays(page, '.event-detail video.clip');
    await shot(page, 'review-event-clip');
  }, 60_000);
});

describe('timeline', () => {
  test('shows what is recorded; a click plays from there on, across segments; an export downloads the asked range as MP4', async () => {
    const recorded = async () => {
      const t = (await (await app.api('/api/recordings/door')).json()) as {
        spans: Array<{ start: string; end: string }>;
      };
      const s = t.spans.at(-1)!;
      return !!s && Date.parse(s.end) - Date.parse(s.start) >= 14_000 && s;
    };
    await waitFor(recorded, 60_000, '14 s recorded');
    await page.goto(`${app.url}/recordings/door`);
    await page.waitForSelector('.timeline .rec-span');
    const box = (await page.locator('.timeline').boundingBox())!;
    const span = (await page.locator('.timeline .rec-span').last().boundingBox())!;
    // Into the recorded span, a third of the way: several segments are left after it.
    const x = span.x + span.width / 3;
    const win = await page.evaluate<{ start: number; end: number }>(
      `(() => { const t = document.querySelector('.timeline'); return { start: Number(t.getAttribute('aria-valuemin')), end: Number(t.getAttribute('aria-valuemax')) }; })()`,
    );
    const clicked = win.start + ((x - box.x) / box.width) * (win.end - win.start);
    await page.mouse.click(x, box.y + box.height / 2);
    await page.waitForSelector('.recordings video.clip');
    await until(
      page,
      `(() => { const v = document.querySelector('.recordings video.clip'); return !!v && !!v.dataset.clipStart && v.readyState >= 2 && !v.seeking; })()`,
    );
    // The player is at the clicked moment: where its video starts on the wall clock plus where it is.
    const where = `(() => { const v = document.querySelector('.recordings video.clip'); return Number(v.dataset.clipStart) + v.currentTime * 1000; })()`;
    const at = await page.evaluate<number>(where);
    expect(Math.abs(at - clicked)).toBeLessThan(2000);
    // It plays on past the segment it started in (2 s segments), fed as it goes.
    await until(page, `${where} > ${at + 4000}`, undefined, 30_000);
    await shot(page, 'timeline-desktop');
    // Export 6 s that are recorded: 12 s before the end of the newest span.
    const last = await waitFor(recorded, 60_000, '14 s recorded');
    // On a keyframe: a clip by stream copy starts at the keyframe at or before the asked start.
    const seg = (
      await app.rt.db.all<{ s: Date }>(
        'SELECT start_ts AS s FROM recording_segments WHERE end_ts <= ?::TIMESTAMPTZ ORDER BY start_ts DESC LIMIT 1 OFFSET 5',
        [last.end],
      )
    )[0]!;
    const from = seg.s.getTime();
    const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 23);
    await page.fill('input[name=from]', local(from));
    await page.fill('input[name=to]', local(from + 6000));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Export MP4')]);
    await using dir = await tempDir('fovea-export-');
    const file = join(dir.path, download.suggestedFilename());
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(/^door-\d{4}-\d{2}-\d{2}T.*\.mp4$/);
    const length = (await probeVideo(file))!.duration;
    console.log(`export of 6 s from the timeline: ${length} s`);
    expect(Math.abs(length - 6)).toBeLessThanOrEqual(1);
    expect(page.problems).toEqual([]);
  }, 90_000);

  test("System lists each recorder's state and what it keeps", async () => {
    await page.goto(`${app.url}/system`);
    await page.waitForSelector('tr[data-recorder=door]');
    expect(await page.textContent('tr[data-recorder=door] [data-state]')).toBe('recording');
    await shot(page, 'system-recordings');
  });

  test('on a phone the review and the timeline fit the width', async () => {
    const p = await browser.page(app.url, PHONE);
    const widths: Record<string, number> = {};
    for (const [path, ready] of [
      ['/review', '.review-head'],
      ['/recordings/door', '.timeline'],
    ] as const) {
      await p.goto(app.url + path);
      await p.waitForSelector(ready);
      await shot(p, `${path.slice(1).replace('/', '-')}-phone`);
      widths[path] = await p.evaluate<number>('document.documentElement.scrollWidth');
    }
    expect(widths).toEqual({ '/review': PHONE.width, '/recordings/door': PHONE.width });
  }, 60_000);
});
