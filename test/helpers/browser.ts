/**
 * @module A real browser for the UI tests: Debian's Chromium (/usr/bin/chromium, never a download)
 * driven by playwright-core, one per test file. Every page it opens fails the test on a request to
 * another origin (the dashboard must work offline) and on an uncaught page error. Screenshots go to
 * test-artifacts/screenshots/ (kept by CI, not committed).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.FOVEA_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(import.meta.dir, '../../test-artifacts/screenshots');

export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface Browsing extends AsyncDisposable {
  browser: Browser;
  /** A fresh context (its own storage) on `origin`, at a viewport size. */
  page(origin: string, viewport?: { width: number; height: number }): Promise<Page & { problems: string[] }>;
}

export async function startBrowser(): Promise<Browsing> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root in CI; and no background traffic: this machine's network is closed.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async page(origin, viewport = DESKTOP) {
      const ctx = await browser.newContext({ viewport });
      contexts.push(ctx);
      const page = (await ctx.newPage()) as Page & { problems: string[] };
      page.problems = [];
      const own = new URL(origin).origin;
      page.on('request', (r) => {
        const u = r.url();
        if (
          !u.startsWith('data:') &&
          !u.startsWith('blob:') &&
          new URL(u).origin !== own.replace(/^http/, new URL(u).protocol.startsWith('ws') ? 'ws' : 'http')
        )
          page.problems.push(`request to another origin: ${u}`);
      });
      page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
      return page;
    },
    async [Symbol.asyncDispose]() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * Wait until `predicate` is true in the page, polled from the test. Not page.waitForFunction: it
 * polls with a function made from text inside the page, which the dashboard's CSP refuses (no
 * 'unsafe-eval'), so it only ever passes when its first check does; a busy machine fails it.
 */
export async function until<A>(
  page: Page,
  predicate: string | ((arg: A) => unknown),
  arg?: A,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last =
      typeof predicate === 'string' ? await page.evaluate(predicate) : await page.evaluate(predicate as never, arg);
    if (last) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(predicate).slice(0, 200)}`);
    await Bun.sleep(100);
  }
}
