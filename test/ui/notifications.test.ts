/**
 * The Notifications page in a real browser (Debian's Chromium) against a real appliance running the
 * person video: the bell opens it; "Turn on" registers the dashboard's service worker and says
 * why this browser cannot subscribe (headless Chromium on a closed network has no push service);
 * a browser subscribed as PushManager would (keys of a stand-in, endpoint a push-service stand-in)
 * is listed with its record; its choices are saved, a bad one is refused with the typed text kept;
 * snooze and resume; the test button's push is delivered, decrypted, handed to the service worker
 * through the DevTools protocol, and shown as a notification; then the video's first alert goes the
 * same way, and its notification's picture opens by its signed link; removing the browser empties
 * the list. One appliance and one browser. Screenshots: test-artifacts/screenshots/notifications-*.png.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { CDPSession, Page } from 'playwright-core';
import { personStream, startAppliance, waitFor, type Appliance } from '../helpers/fixtures';
import { PHONE, shot, startBrowser, until, type Browsing } from '../helpers/browser';
import { browser as pushBrowser, open, pushService } from '../helpers/push';

let app: Appliance;
let browser: Browsing;
let page: Page & { problems: string[] };
let service: ReturnType<typeof pushService>;
let cdp: CDPSession;
/** The stand-in browser's keys: what the page's browser would hold after PushManager.subscribe. */
let b: ReturnType<typeof pushBrowser>;
/** The service worker registrations DevTools reports, by scope. */
const registrations = new Map<string, string>();

beforeAll(async () => {
  service = pushService();
  app = await startAppliance({
    api: { auth: false, rate_limit_per_minute: 1_000_000 },
    streams: [personStream()],
    notify: { web_push: { allow_loopback_http: true } },
  });
  browser = await startBrowser();
  page = await browser.page(app.url);
  await page.context().grantPermissions(['notifications'], { origin: app.url });
  cdp = await page.context().newCDPSession(page);
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
    for (const r of e.registrations)
      if (r.isDeleted) registrations.delete(r.scopeURL);
      else registrations.set(r.scopeURL, r.registrationId);
  });
  await cdp.send('ServiceWorker.enable');
}, 120_000);

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await app?.[Symbol.asyncDispose]();
  service?.stop();
});

interface Shown {
  title: string;
  body: string;
  tag: string;
  image: string;
  data: { url: string };
}

/** Hand a push's plaintext to the dashboard's service worker, as the browser does, and wait for its notification. */
async function deliver(plaintext: string, tag: string): Promise<Shown> {
  const id = await waitFor(() => registrations.get(`${app.url}/`), 10_000, 'the service worker registered');
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: app.url, registrationId: id, data: plaintext });
  const shown = `navigator.serviceWorker.ready.then((r) => r.getNotifications({ tag: ${JSON.stringify(tag)} })).then((ns) => ns.map((n) => ({ title: n.title, body: n.body, tag: n.tag, image: n.image, data: n.data })))`;
  await until(page, `${shown}.then((ns) => ns.length > 0)`);
  return ((await page.evaluate(shown)) as Shown[])[0]!;
}

const prefsOf = async () =>
  ((await (await app.api('/api/notify/subscriptions')).json()) as { items: Array<{ prefs: Record<string, unknown> }> })
    .items[0]?.prefs;

/** "HH:MM" on this machine's clock, `hours` from now. */
const clock = (hours: number) => {
  const d = new Date(Date.now() + hours * 3_600_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};

test('the bell opens the page; turning on registers the service worker and says why this browser cannot subscribe', async () => {
  await page.goto(`${app.url}/live`);
  await page.click('a.bell');
  await page.waitForURL(/\/notifications$/);
  await page.click('text=Turn on notifications here');
  const error = await page.waitForSelector('.notifications .error');
  expect(await error.textContent()).toStartWith("This browser's push service did not give a subscription:");
  await waitFor(() => registrations.get(`${app.url}/`), 10_000, 'the service worker registered at the base');
  await shot(page, 'notifications-cannot');
  expect(page.problems).toEqual([]);
}, 60_000);

test('a subscribed browser: listed, its choices saved (a bad one refused, the text kept), snoozed and resumed, a test push shown by the service worker', async () => {
  b = pushBrowser(`${service.url}/push/page`);
  // Subscribed from the page, as its PushManager subscription would be (the agent is this browser's).
  const status = await page.evaluate(
    async (body) =>
      (
        await fetch('api/notify/subscriptions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).status,
    b.target,
  );
  expect(status).toBe(201);
  await page.reload();
  const card = page.locator('.push-browser');
  await card.waitFor();
  expect(await card.locator('.card-head h2').textContent()).toContain('Chrome on Linux');
  await card.locator('input[name="severity:detection"]').check();
  await card.locator('input[name="labels"]').fill('person, car');
  await card.locator('input[name="cooldown_s"]').fill('5');
  await card.locator('input[name="quiet"]').check();
  // Quiet hours that do not hold now: the alert below must get through.
  const [from, to] = [clock(2), clock(3)];
  await card.locator('input[name="quiet_from"]').fill(from);
  await card.locator('input[name="quiet_to"]').fill(to);
  await card.locator('button[type=submit]').click();
  await card.locator('text=Saved.').waitFor();
  expect(await prefsOf()).toMatchObject({
    severities: ['alert', 'detection'],
    labels: ['person', 'car'],
    cooldown_s: 5,
    quiet: { from, to },
  });
  const long = 'x'.repeat(70);
  await card.locator('input[name="labels"]').fill(`person, ${long}`);
  await card.locator('button[type=submit]').click();
  const refused = await card.locator('.error').textContent();
  expect([refused?.startsWith('Not saved:'), await card.locator('input[name="labels"]').inputValue()]).toEqual([
    true,
    `person, ${long}`,
  ]);
  await card.locator('input[name="labels"]').fill('person, car');
  await card.locator('.snooze button', { hasText: '1 hour' }).click();
  await card.locator('text=Snoozed until').waitFor();
  expect((await prefsOf())?.snoozed_until as number).toBeGreaterThan(Date.now() + 3_500_000);
  await shot(page, 'notifications-browser');
  await card.locator('.snooze button', { hasText: 'Resume' }).click();
  await card.locator('text=Resumed.').waitFor();
  expect((await prefsOf())?.snoozed_until).toBeNull();

  await card.locator('text=Send a test notification').click();
  await card.locator('text=Test notification sent').waitFor();
  const pushed = service.received.find((r) => r.path === '/push/page')!;
  const shown = await deliver(open(b, pushed.body), 'fovea-test');
  expect(shown).toMatchObject({ title: 'fovea: notifications work', data: { url: `${app.url}/` } });
  expect(shown.body).toContain('will reach this browser');
  expect(page.problems).toEqual([]);
}, 90_000);

test("the video's first alert is pushed and shown, with its picture by the signed link, and opens its item; removing the browser empties the list", async () => {
  type Said = { title: string; url: string; image: string | null; tag: string };
  const said = await waitFor(
    () =>
      service.received
        .filter((r) => r.path === '/push/page')
        .map((r) => JSON.parse(open(b, r.body)) as Said)
        .find((p) => p.title.startsWith('Person')),
    90_000,
    "the person's alert pushed",
  );
  const shown = await deliver(JSON.stringify(said), said.tag);
  expect(shown).toMatchObject({
    title: 'Person at table',
    image: `${app.url}${said.image}`,
    data: { url: `${app.url}${said.url}` },
  });
  // The notification's picture, fetched as the browser does: no credential, the link's signature.
  const picture = await page.evaluate(async (url) => {
    const r = await fetch(url, { credentials: 'omit' });
    return [r.status, r.headers.get('content-type')];
  }, shown.image);
  expect(picture).toEqual([200, 'image/jpeg']);
  await page.goto(shown.data.url);
  await page.waitForSelector('.review-item');
  await page.goto(`${app.url}/notifications`);
  await page.locator('.push-browser').waitFor();
  const phone = await browser.page(app.url, PHONE);
  await phone.goto(`${app.url}/notifications`);
  await phone.locator('.push-browser').waitFor();
  await shot(phone, 'notifications-phone');
  expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
  await page.locator('.push-browser button', { hasText: 'Remove' }).click();
  await page.locator('text=None of your browsers takes notifications yet.').waitFor();
  expect((await (await app.api('/api/notify/subscriptions')).json()) as unknown).toEqual({ items: [] });
  expect([...page.problems, ...phone.problems]).toEqual([]);
}, 120_000);
