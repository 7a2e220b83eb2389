/**
 * How the dashboard is served: its first page's JavaScript stays within budget; assets are
 * content-hashed and cached for a year; behind a reverse proxy under a sub-path (api.base_path) deep
 * links load and reload; /docs works offline (swagger-ui from the box). Real appliance, real
 * Chromium, a real proxy (a small Bun server that strips the prefix, as nginx would).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { buildUi } from '../../appliance/ui/bundle';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { COCO, startAppliance, waitFor, type Appliance } from '../helpers/fixtures';
import { shot, startBrowser, type Browsing } from '../helpers/browser';

const BUDGET_GZ = 300 * 1024;

test('the JavaScript of the first page is under 300 KB gzipped', async () => {
  const b = await buildUi();
  const js = [...b.assets].filter(([name]) => name.endsWith('.js'));
  const gz = js.reduce((n, [, f]) => n + Bun.gzipSync(f.body).length, 0);
  console.log(
    `dashboard JS: ${js.length} file(s), ${js.reduce((n, [, f]) => n + f.body.length, 0)} bytes, ${gz} gzipped`,
  );
  expect(gz).toBeLessThan(BUDGET_GZ);
});

describe('behind a proxy under /fovea', () => {
  let app: Appliance;
  let proxy: ReturnType<typeof Bun.serve>;
  let browser: Browsing;
  beforeAll(async () => {
    app = await startAppliance({ api: { auth: true, base_path: '/fovea', rate_limit_per_minute: 1_000_000 } });
    const upstream = app.url;
    proxy = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      async fetch(req) {
        const u = new URL(req.url);
        if (!u.pathname.startsWith('/fovea/') && u.pathname !== '/fovea')
          return new Response('not here', { status: 404 });
        const path = u.pathname.slice('/fovea'.length) || '/';
        const res = await fetch(upstream + path + u.search, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          redirect: 'manual',
        });
        return new Response(res.body, { status: res.status, headers: res.headers });
      },
    });
    browser = await startBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.[Symbol.asyncDispose]();
    proxy?.stop(true);
    await app?.[Symbol.asyncDispose]();
  });

  test('a deep link loads, signs in and reloads; assets come from the sub-path, hashed and cached a year', async () => {
    const origin = `http://127.0.0.1:${proxy.port}`;
    const page = await browser.page(origin);
    const assets: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/assets/')) assets.push(`${new URL(r.url()).pathname} ${r.headers()['cache-control']}`);
    });
    await page.goto(`${origin}/fovea/review`);
    await page.fill('input[name=username]', 'ann');
    await page.fill('input[name=password]', 'ann password 1');
    await page.fill('input[name=confirm]', 'ann password 1');
    await page.click('button[type=submit]');
    await page.waitForSelector('.review-head');
    await page.reload();
    await page.waitForSelector('.review-head');
    const path = new URL(page.url()).pathname;
    await page.click('nav >> text=System');
    await page.waitForSelector('h2:text("Health")');
    await shot(page, 'proxy-system');
    expect({ path, system: new URL(page.url()).pathname, problems: page.problems }).toEqual({
      path: '/fovea/review',
      system: '/fovea/system',
      problems: [],
    });
    expect(assets.length).toBeGreaterThan(0);
    expect(
      assets.filter((a) => !/^\/fovea\/assets\/main-[a-z0-9]+\.(js|css) public, max-age=31536000, immutable$/.test(a)),
    ).toEqual([]);
  }, 60_000);

  test('/docs works offline: swagger-ui and the API document come from the box', async () => {
    const origin = `http://127.0.0.1:${proxy.port}`;
    const page = await browser.page(origin);
    await page.goto(`${origin}/fovea/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
    const title = await page.textContent('.swagger-ui .info .title');
    await page.waitForSelector('.opblock-tag', { timeout: 30_000 });
    await shot(page, 'docs');
    expect({ title, problems: page.problems }).toEqual({
      title: expect.stringContaining('fovea appliance API'),
      problems: [],
    });
  }, 60_000);
});

describe('rate limits that fit a person', () => {
  test('Explore with 200 photos and Live polling, under the default limits: no 429', async () => {
    await using app = await startAppliance({ api: { auth: true, rate_limit_per_minute: 100 } });
    const photos = (await readdir(COCO)).filter((f) => f.endsWith('.jpg'));
    for (let i = 0; i < 200; i++) {
      const f = photos[i % photos.length]!;
      await app.rt.images.register({
        data: new Uint8Array(await Bun.file(join(COCO, f)).arrayBuffer()),
        fileName: f,
        name: `grid ${i}`,
        description: null,
        tags: ['grid'],
      });
    }
    await app.rt.users.create('ann', 'viewer', 'ann password 1');
    await using browser = await startBrowser();
    const page = await browser.page(app.url);
    const refused: string[] = [];
    let thumbs = 0;
    page.on('response', (r) => {
      if (r.status() === 429) refused.push(r.url());
      if (r.url().endsWith('/thumbnail') && r.status() === 200) thumbs++;
    });
    await page.goto(`${app.url}/`);
    await page.fill('input[name=username]', 'ann');
    await page.fill('input[name=password]', 'ann password 1');
    await page.click('button[type=submit]');
    await page.waitForSelector('nav[aria-label=Main]');
    await page.click('nav >> text=Explore');
    await page.waitForSelector('.tile');
    // Scroll to the end so every page of the grid loads and every thumbnail is asked for.
    await waitFor(
      async () => {
        await page.mouse.wheel(0, 20_000);
        return (await page.$$('.tile img')).length >= 200;
      },
      60_000,
      'all 200 thumbnails shown',
    );
    await page.click('nav >> text=System');
    await page.waitForSelector('h2:text("Health")');
    await page.waitForTimeout(5_000);
    expect({ thumbs: thumbs >= 200 ? 'all' : thumbs, refused }).toEqual({ thumbs: 'all', refused: [] });
  }, 120_000);
});
