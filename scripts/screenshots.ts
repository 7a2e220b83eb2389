/**
 * @module `bun scripts/screenshots.ts`: the README's pictures of the dashboard, made the way a person
 * sees it: a real appliance playing the sample person video, Debian's Chromium signed in as the demo
 * admin, Live and Review captured into docs/screenshots/. Run it again when the UI changes.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { personStream, startAppliance, stream, VIDEOS } from '../test/helpers/fixtures';
import { startBrowser } from '../test/helpers/browser';

const OUT = join(import.meta.dir, '../docs/screenshots');
const VIEW = { width: 1100, height: 620 };

await using app = await startAppliance({
  api: { auth: true, rate_limit_per_minute: 1_000_000 },
  streams: [
    personStream(),
    stream({
      id: 'parking',
      url: join(VIDEOS, 'car-detection.mp4'),
      pipeline: 'objects',
      realtime: true,
      loop: true,
      fps: 2,
    }),
  ],
});
await app.rt.users.create('demo', 'admin', 'demo password');
await using browser = await startBrowser();
const page = await browser.page(app.url, VIEW);
await page.goto(`${app.url}/`);
await page.fill('input[name=username]', 'demo');
await page.fill('input[name=password]', 'demo password');
await page.click('button[type=submit]');
await page.waitForSelector('.stream-card[data-stream=table] .overlay .det', { timeout: 60_000 });
await page.waitForSelector('.ticker li:nth-child(4)', { timeout: 90_000 });
mkdirSync(OUT, { recursive: true });
await page.screenshot({ path: join(OUT, 'live.png') });
await page.click('nav >> text=Review');
await page.waitForSelector('.event-row img', { timeout: 30_000 });
await page.waitForTimeout(1000);
await page.screenshot({ path: join(OUT, 'review.png') });
console.log(`wrote ${join(OUT, 'live.png')} and review.png`);
