/**
 * The dashboard in a real browser (Debian's Chromium via playwright-core) against a real appliance
 * playing the person video and a live RTSP test pattern. One appliance and one browser for the file;
 * the tests run in order and build on each other (the first signs the first admin up). Every page
 * fails on a request to another origin or an uncaught error. Screenshots: test-artifacts/screenshots.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { COCO, personStream, startAppliance, stream, waitFor, type Appliance } from '../helpers/fixtures';
import { startRtsp, type RtspServer } from '../helpers/rtsp';
import { DESKTOP, PHONE, shot, startBrowser, until, type Browsing } from '../helpers/browser';

let app: Appliance;
let rtsp: RtspServer;
let browser: Browsing;
let page: Page & { problems: string[] };
const pages: Array<Page & { problems: string[] }> = [];
const loadTimes: Record<string, number> = {};
const ADMIN = { username: 'ann', password: 'ann password 1' };

beforeAll(async () => {
  rtsp = await startRtsp({ auth: 'none' });
  app = await startAppliance({
    api: { auth: true, rate_limit_per_minute: 1_000_000 },
    streams: [
      // The person video with a shadow at a stricter score: the Streams page shows how the two compare.
      stream({
        ...personStream(),
        shadow: { pipeline: 'people', overrides: { 'detect.score': 0.9 }, sample: 1, window_s: 10 },
      }),
      stream({ id: 'cam', url: rtsp.url, pipeline: 'objects', realtime: true, fps: 2 }),
    ],
  });
  browser = await startBrowser();
  page = await browser.page(app.url);
  pages.push(page);
}, 120_000);

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await app?.[Symbol.asyncDispose]();
  await rtsp?.stop();
});

/** Open a page of the app by its path and time until `ready` shows (the first load of that page). */
async function open(p: Page, path: string, ready: string): Promise<number> {
  const t0 = performance.now();
  await p.goto(app.url + path);
  await p.waitForSelector(ready, { timeout: 30_000 });
  return Math.round(performance.now() - t0);
}

/** Until every photo in the first screen of the page has loaded (thumbnails come after the page). */
async function photosInView(p: Page): Promise<void> {
  await until(p, () => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<Element> } }).document;
    const height = (globalThis as unknown as { innerHeight: number }).innerHeight;
    type Element = { tagName: string; complete?: boolean; getBoundingClientRect(): { top: number } };
    const inView = Array.from(doc.querySelectorAll('main img, main .img-placeholder')).filter(
      (e) => e.getBoundingClientRect().top < height,
    );
    return inView.length > 0 && inView.every((e) => e.tagName === 'IMG' && e.complete);
  });
}

async function signIn(p: Page, who: { username: string; password: string }) {
  await p.goto(`${app.url}/`);
  await p.fill('input[name=username]', who.username);
  await p.fill('input[name=password]', who.password);
  await p.click('button[type=submit]');
  await p.waitForSelector('nav[aria-label=Main]');
}

describe('dashboard', () => {
  test('an empty box offers the first-admin signup; sign out; a wrong password is refused; sign in', async () => {
    await page.goto(`${app.url}/live`);
    await page.waitForSelector('#login-title');
    const offer = await page.textContent('.login-card');
    await shot(page, 'signup-desktop');
    await page.fill('input[name=username]', ADMIN.username);
    await page.fill('input[name=password]', ADMIN.password);
    await page.fill('input[name=confirm]', ADMIN.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('nav[aria-label=Main]');
    const who = await page.textContent('.me');
    await page.click('text=Sign out');
    await page.waitForSelector('#login-title');
    await page.fill('input[name=username]', ADMIN.username);
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[type=submit]');
    const refused = await page.textContent('.login-card .error');
    await signIn(page, ADMIN);
    // A reload keeps the session (the refresh token is stored; the access token is not).
    await page.reload();
    await page.waitForSelector('nav[aria-label=Main]');
    expect({ offer, who, refused }).toEqual({
      offer: expect.stringContaining('no user yet'),
      who: expect.stringContaining('ann'),
      refused: 'wrong user name or password',
    });
  }, 60_000);

  test('three tabs opened at once, twenty times: every one signed in, the session never revoked', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 20; round++) {
      const tabs = await Promise.all([0, 1, 2].map(() => page.context().newPage()));
      await Promise.all(tabs.map((t, i) => t.goto(`${app.url}${['/review', '/explore', '/streams'][i]}`)));
      outcomes.push(
        ...(await Promise.all(
          tabs.map((t) =>
            t
              .waitForSelector('nav[aria-label=Main], #login-title', { timeout: 30_000 })
              .then(async () => ((await t.$('nav[aria-label=Main]')) ? 'in' : 'signed out')),
          ),
        )),
      );
      for (const t of tabs) await t.close();
    }
    expect(outcomes.filter((o) => o !== 'in')).toEqual([]);
    // The first tab's session goes on: its next call still works.
    await page.reload();
    await page.waitForSelector('nav[aria-label=Main]');
  }, 120_000);

  test('Live shows the stream running with boxes within seconds, and the ticker gets person events', async () => {
    loadTimes.live = await open(page, '/live', '.stream-card[data-stream=table]');
    await page.waitForSelector('.stream-card[data-stream=table] [data-state=running]', { timeout: 30_000 });
    await page.waitForSelector('.stream-card[data-stream=table] .overlay .det[data-label=person]', { timeout: 60_000 });
    await page.waitForSelector('.ticker li[data-type=enter]', { timeout: 60_000 });
    await shot(page, 'live-desktop');
    const zone = await page.textContent('.stream-card[data-stream=table] .overlay .zone text');
    const ticker = await page.textContent('.ticker li[data-type=enter]');
    // The picture of the very frame an overlay describes (what Live draws), and a clear 404 once it is gone.
    const { seq } = (await (await app.api('/api/streams/table/latest')).json()) as { seq: number };
    const same = await app.api(`/api/streams/table/frame?seq=${seq}`);
    const gone = await app.api('/api/streams/table/frame?seq=999999999');
    expect({ zone, ticker, same: [same.status, same.headers.get('x-frame-seq')], gone: gone.status }).toEqual({
      zone: 'scene',
      ticker: expect.stringMatching(/table person #\d+ entered scene/),
      same: [200, String(seq)],
      gone: 404,
    });
  }, 120_000);

  test('a stream opened full-size plays live video (frames advance, overlays follow); its remux is gone within seconds of the page closing', async () => {
    const remuxes = () =>
      Bun.spawnSync(['pgrep', '-f', 'frag_duration']).stdout.toString().split('\n').filter(Boolean).length;
    // A second tab of the signed-in session, closed at the end as a person would.
    const tab = await page.context().newPage();
    tab.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
    const played: Record<string, unknown> = {};
    for (const id of ['table', 'cam']) {
      await tab.goto(`${app.url}/live/${id}`);
      await tab.waitForSelector('[data-video=playing] video', { timeout: 30_000 });
      const sample = () =>
        tab.evaluate<{ frames: number; seq: number }>(`({
          frames: document.querySelector('video').getVideoPlaybackQuality().totalVideoFrames,
          seq: Number(document.querySelector('svg.overlay')?.getAttribute('data-seq') ?? -1),
        })`);
      const a = await sample();
      await Bun.sleep(2500);
      const b = await sample();
      played[id] = { framesAdvance: b.frames > a.frames, overlaysFollow: b.seq > a.seq };
      if (id === 'table') {
        await shot(tab, 'live-video-desktop');
        // The motion toggle draws what gating did: motion boxes (and regions) over the picture; the
        // card shows the gating figures.
        await tab.check('.motion-toggle input');
        await tab.waitForSelector('svg.overlay rect.motion-box', { timeout: 60_000 });
        played.gating = await tab.textContent('[aria-label="motion gating"]');
        await shot(tab, 'live-motion');
      }
      if (id === 'cam') {
        // Detection switched off from the page (as Home Assistant's switch does), then on again.
        const detection = async () =>
          ((await (await app.api('/api/streams/cam')).json()) as { detection: boolean }).detection;
        await tab.click('text=Turn detection off');
        await tab.waitForSelector('.badge[data-state=detection_off]');
        const off = await detection();
        await shot(tab, 'live-detection-off');
        await tab.click('text=Turn detection on');
        await tab.waitForSelector('text=Turn detection off');
        await waitFor(detection, 10_000, 'detection on again');
        played.detection = { off, badgeGone: (await tab.$('.badge[data-state=detection_off]')) === null };
      }
    }
    const whileWatched = remuxes();
    await tab.close();
    const t0 = performance.now();
    await waitFor(async () => remuxes() === 0, 10_000, 'the remux to stop');
    expect({ played, whileWatched, goneWithinS: (performance.now() - t0) / 1000, live: app.rt.live.stats() }).toEqual({
      played: {
        table: { framesAdvance: true, overlaysFollow: true },
        cam: { framesAdvance: true, overlaysFollow: true },
        gating: expect.stringMatching(/frames with motion.*detector skipped.*stationary objects/),
        detection: { off: false, badgeGone: true },
      },
      // The table's remux lingers 2 s after the tab moved to the camera (a reload does not restart it).
      whileWatched: expect.atLeast(1),
      goneWithinS: expect.atMost(5),
      live: { watched_streams: 0, viewers: 0, processes: 0, started: 2 },
    });
  }, 120_000);

  test('a new event appears in Review without a reload; "find similar" leaves its own snapshot out and each result opens', async () => {
    await page.click('nav >> text=Review');
    await page.click('text=All events');
    await page.waitForSelector('.event-row');
    const first = await page.getAttribute('.events li[data-event]', 'data-event');
    // Review polls: the next stored event shows up on this very page.
    await waitFor(
      async () => (await page.getAttribute('.events li[data-event]', 'data-event')) !== first,
      60_000,
      'a newer event in Review',
    );
    await shot(page, 'review-desktop');
    await page.click('.events li:has(img) .event-row');
    await page.waitForSelector('text=Find similar');
    const eventId = page.url().split('/events/')[1]!;
    const ev = (await (await app.api(`/api/events/${eventId}`)).json()) as { image_id: string };
    await page.click('text=Find similar');
    await page.waitForSelector('.tiles .tile');
    const found = await page.$$eval('.tiles .tile', (ts) => ts.map((t) => t.getAttribute('data-image')));
    await shot(page, 'event-similar');
    // The event's own snapshot is not its own answer; the others (a looping video: other events'
    // snapshots) are, and a result opens: a snapshot its event, a photo its pane.
    expect([found.length > 0, found.includes(ev.image_id)]).toEqual([true, false]);
    await page.click('.tiles .tile .tile-open');
    await until(
      page,
      `location.pathname.includes('/events/') && !location.pathname.endsWith('${eventId}') || location.search.includes('photo=')`,
    );
    await page.waitForSelector('.event-detail .snapshot, .photo-pane');
  }, 120_000);

  test('upload 5 photos and a text file named .jpg: 5 are added, one shows the server error; search by photo ranks it first', async () => {
    loadTimes.explore = await open(page, '/explore', '.drop');
    const photos = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).slice(20, 25);
    const files = await Promise.all(
      photos.map(async (f) => ({
        name: f,
        mimeType: 'image/jpeg',
        buffer: Buffer.from(await Bun.file(join(COCO, f)).arrayBuffer()),
      })),
    );
    await page.setInputFiles('input[aria-label="Photos to upload"]', [
      ...files,
      { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('these are not pixels') },
    ]);
    await waitFor(async () => (await page.$$('.uploads li[data-state=sending]')).length === 0, 60_000, 'uploads done');
    const states = await page.$$eval('.uploads li', (ls) => ls.map((l) => l.getAttribute('data-state')));
    const failure = await page.textContent('.uploads li[data-state=failed] .error');
    await shot(page, 'explore-desktop');
    const list = (await (await app.api(`/api/images?limit=100`)).json()) as {
      items: Array<{ image_id: string; name: string }>;
    };
    const mine = list.items.find((i) => i.name === photos[2]!.replace(/\.jpg$/, ''))!;
    await page.setInputFiles('input[aria-label="Photo to search by"]', join(COCO, photos[2]!));
    await page.waitForSelector('.card:has(h2:text("Results")) .tile');
    const top = await page.getAttribute('.card:has(h2:text("Results")) .tile', 'data-image');
    // A result opens its photo's pane; the pane searches by its photo, steps with the arrows and
    // closes with Escape.
    await page.click('.card:has(h2:text("Results")) .tile .tile-open');
    await page.waitForSelector('.photo-pane');
    expect(new URL(page.url()).searchParams.get('photo')).toBe(top);
    await page.click('.photo-pane >> text=Find similar');
    await until(
      page,
      `document.querySelectorAll('.card .tiles .tile').length > 0 && ![...document.querySelectorAll('.card .tiles .tile')].some((t) => t.getAttribute('data-image') === '${top}')`,
    );
    await shot(page, 'explore-photo-similar');
    await page.keyboard.press('Escape');
    await until(page, "!document.querySelector('.photo-pane')");
    expect({ states: states.sort(), failure, top }).toEqual({
      states: ['done', 'done', 'done', 'done', 'done', 'failed'],
      failure: expect.stringContaining('not a JPEG, PNG or WebP'),
      top: mine.image_id,
    });
  }, 120_000);

  test('an invalid override shows the error inline and the stream keeps running', async () => {
    loadTimes.streams = await open(page, '/streams/table', '.dag .stage');
    await page.fill('textarea[name=overrides]', 'detect.score=5');
    await page.click('.change button[type=submit]');
    const error = await page.waitForSelector('.change .error');
    const text = await error.textContent();
    await shot(page, 'streams-error');
    const s = (await (await app.api('/api/streams/table')).json()) as { state: string };
    expect({ text, state: s.state }).toEqual({ text: expect.stringMatching(/detect.*score/), state: 'running' });
  }, 60_000);

  test("a stream's shadow pipeline: classes and events live against shadow, as the API reports them", async () => {
    // Enough frames for a person to be seen by both.
    await waitFor(
      async () => {
        const r = (await (await app.api('/api/shadow/table')).json()) as {
          total: { detections: { shadow: { person?: number } } };
        };
        return (r.total.detections.shadow.person ?? 0) > 0;
      },
      60_000,
      'the shadow sees a person',
    );
    await open(page, '/streams/table', '.shadow [data-table="Detections per class"] tr[data-key=person]');
    const cells = await page.$$eval('.shadow [data-table="Detections per class"] tr[data-key=person] td', (tds) =>
      tds.map((t) => t.textContent),
    );
    const title = await page.textContent('.card:has(.shadow) h2');
    await page.locator('.shadow').scrollIntoViewIfNeeded();
    await shot(page, 'streams-shadow');
    await page.setViewportSize(PHONE);
    await page.locator('.shadow .versus-pair').scrollIntoViewIfNeeded();
    await shot(page, 'streams-shadow-phone');
    await page.setViewportSize(DESKTOP);
    const [, live, shadow, change] = cells.map((c) => c ?? '');
    expect(title).toBe('Shadow: people (detect.score=0.9)');
    expect(Number(shadow)).toBeLessThanOrEqual(Number(live));
    expect(Number(change)).toBe(Number(shadow) - Number(live));
  }, 90_000);

  test('a camera that goes away shows backoff on Live', async () => {
    await open(page, '/live', '.stream-card[data-stream=cam] [data-state=running]');
    await rtsp.stop();
    await page.waitForSelector('.stream-card[data-stream=cam] [data-state=backoff]', { timeout: 30_000 });
    const why = await page.textContent('.stream-card[data-stream=cam] .why');
    await shot(page, 'live-backoff');
    expect(why?.length).toBeGreaterThan(0);
  }, 60_000);

  test('System shows health, the box, delivery, the fleet and, for an admin, backups, users and keys', async () => {
    loadTimes.system = await open(page, '/system', 'h2:text("Users and API keys")');
    // Each card loads its own figures: wait until all nine are drawn.
    const titles = await waitFor(
      async () => {
        const t = await page.$$eval('.system h2', (hs) => hs.map((h) => h.textContent));
        return t.length === 9 && t;
      },
      15_000,
      'every System card',
    );
    await shot(page, 'system-desktop');
    expect(titles).toEqual([
      'Health',
      'This box',
      'Streams and inference',
      'Recordings',
      'Delivery',
      'S3 sync',
      'Fleet',
      'Backups',
      'Users and API keys',
    ]);
  }, 60_000);

  test('a viewer sees no delete, change, user or key controls, and the API still refuses them', async () => {
    const api = (path: string, init: RequestInit = {}) => app.api(path, init);
    await api('/api/auth/signup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'vic', password: 'vic password 1', role: 'viewer' }),
    });
    const v = await browser.page(app.url);
    pages.push(v);
    await signIn(v, { username: 'vic', password: 'vic password 1' });
    await open(v, '/explore', '.library-head');
    await v.waitForSelector('.tile');
    const explore = { upload: await v.$('input[aria-label="Photos to upload"]'), del: await v.$('.tile-delete') };
    await open(v, '/streams/table', '.dag .stage');
    const change = await v.$('.change');
    await open(v, '/system', 'h2:text("Health")');
    const users = await v.$('h2:text("Users and API keys")');
    const token = await v.evaluate(() => localStorage.getItem('fovea.refresh'));
    const access = (await (
      await fetch(`${app.url}/api/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: token }),
      })
    ).json()) as { access_token: string };
    const bearer = { authorization: `Bearer ${access.access_token}` };
    const some = ((await (await app.api('/api/images?limit=1')).json()) as { items: Array<{ image_id: string }> })
      .items[0]!;
    const refused = [
      (await fetch(`${app.url}/api/images/${some.image_id}`, { method: 'DELETE', headers: bearer })).status,
      (
        await fetch(`${app.url}/api/streams/table`, {
          method: 'PATCH',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: '{"overrides":{}}',
        })
      ).status,
      (await fetch(`${app.url}/api/users`, { headers: bearer })).status,
      (await fetch(`${app.url}/api/keys`, { headers: bearer })).status,
    ];
    expect({ upload: !!explore.upload, del: !!explore.del, change: !!change, users: !!users, refused }).toEqual({
      upload: false,
      del: false,
      change: false,
      users: false,
      refused: [403, 403, 403, 403],
    });
  }, 90_000);

  test('every page works from the keyboard alone: a skip link first, every tab stop visibly focused, streams and events open with Enter', async () => {
    const stop = () =>
      page.evaluate<{ tag: string; text: string; outlined: boolean; visible: boolean; href: string | null }>(`(() => {
        const el = document.activeElement;
        const cs = getComputedStyle(el);
        const r = el.getBoundingClientRect();
        return { tag: el.tagName.toLowerCase(), text: (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40),
          outlined: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0,
          visible: r.width > 0 && r.height > 0, href: el.getAttribute('href') };
      })()`);
    const report: Record<string, unknown> = {};
    for (const [path, ready] of [
      ['/live', '.stream-card'],
      ['/review', '.review-head'],
      ['/events', '.event-row'],
      ['/explore', '.library-head'],
      ['/streams', '.stream-list a'],
      ['/system', 'h2:text("Health")'],
      ['/notifications', '.this-browser'],
    ] as const) {
      await open(page, path, ready);
      const stops = [];
      for (let i = 0; i < 25; i++) {
        await page.keyboard.press('Tab');
        stops.push(await stop());
      }
      report[path] = {
        first: stops[0]!.text,
        // Past the last stop the focus leaves the page (body), then starts over: not a stop.
        unfocused: stops
          .filter((s) => s.tag !== 'body' && (!s.outlined || !s.visible))
          .map((s) => `${s.tag} ${s.text}`),
        stuck: new Set(stops.map((s) => `${s.tag}${s.href}${s.text}`)).size < 10,
      };
    }
    // Live → a stream, and Review → an event, with Tab and Enter only.
    const enterOn = async (path: string, ready: string, target: string) => {
      await open(page, path, ready);
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate<boolean>(`!!document.activeElement.matches(${JSON.stringify(target)})`)) break;
      }
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/(live|events)\/[^/]+$/);
      return new URL(page.url()).pathname;
    };
    report.stream = await enterOn('/live', '.stream-card', '.stream-card[data-stream=table] a');
    report.event = await enterOn('/events', '.event-row', '.event-row');
    const clean = { first: 'Skip to content', unfocused: [], stuck: false };
    expect(report).toEqual({
      '/live': clean,
      '/review': clean,
      '/events': clean,
      '/explore': clean,
      '/streams': clean,
      '/system': clean,
      '/notifications': clean,
      stream: '/live/table',
      event: expect.stringMatching(/^\/events\/[0-9a-f-]{36}$/),
    });
  }, 120_000);

  test('on a phone-sized screen the pages fit the width', async () => {
    const p = await browser.page(app.url, PHONE);
    pages.push(p);
    await signIn(p, ADMIN);
    const widths: Record<string, number> = {};
    for (const [path, ready] of [
      ['/live', '.stream-card'],
      ['/review', '.review-head'],
      ['/events', '.event-row'],
      ['/explore', '.library-head'],
      ['/system', 'h2:text("Health")'],
    ] as const) {
      await open(p, path, ready);
      // The library's photos in view are drawn before the picture is taken (they load after the page).
      if (path === '/explore') await photosInView(p);
      await shot(p, `${path.slice(1)}-phone`);
      widths[path] = await p.evaluate<number>('document.documentElement.scrollWidth');
    }
    expect(widths).toEqual({
      '/live': PHONE.width,
      '/review': PHONE.width,
      '/events': PHONE.width,
      '/explore': PHONE.width,
      '/system': PHONE.width,
    });
  }, 90_000);

  test('no page made a request to another origin or threw', () => {
    console.log(`first load (ms, desktop ${DESKTOP.width}x${DESKTOP.height}): ${JSON.stringify(loadTimes)}`);
    expect(pages.flatMap((p) => p.problems)).toEqual([]);
  });
});
