/**
 * The Runs pages in a real browser (Debian's Chromium) against a real appliance: the new-run form
 * with stage options generated from their JSON Schema, a run's DAG coloured live by step state,
 * items with the input beside the annotated output (zoom), the log, cancel, retry of failed items,
 * resubmit with edited options, delete; phone width and keyboard focus. One appliance and one
 * browser for the file, tests in order. Screenshots: test-artifacts/screenshots/runs-*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { COCO, IMAGES, VIDEOS, ensureModel, startAppliance, tempDir, type Appliance } from '../helpers/fixtures';
import { PHONE, shot, startBrowser, until, type Browsing } from '../helpers/browser';

let app: Appliance;
let browser: Browsing;
let page: Page & { problems: string[] };
const pages: Array<Page & { problems: string[] }> = [];
const PHOTOS = readdirSync(COCO)
  .filter((f) => f.endsWith('.jpg'))
  .sort();
let cutDir: { path: string } & AsyncDisposable;

beforeAll(async () => {
  await ensureModel('mobilenetv2-classify@1');
  app = await startAppliance({ api: { auth: false }, runs: { video_dirs: [VIDEOS] } });
  await mkdir(app.rt.paths.pipelines, { recursive: true });
  await writeFile(
    join(app.rt.paths.pipelines, 'inspect.yaml'),
    'stages:\n  detect:\n    type: detect@1\n  kind:\n    type: classify@1\n    needs: [detect]\n  draw:\n    type: annotate@1\n    needs: [kind]\n',
  );
  cutDir = await tempDir();
  const whole = await Bun.file(join(COCO, PHOTOS[5]!)).bytes();
  await writeFile(join(cutDir.path, 'cut.jpg'), whole.slice(0, 4000));
  browser = await startBrowser();
  page = await browser.page(app.url);
  pages.push(page);
}, 120_000);

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await app?.[Symbol.asyncDispose]();
  await cutDir?.[Symbol.asyncDispose]();
});

const runIdOf = (p: Page) => new URL(p.url()).pathname.split('/').pop()!;

describe('runs pages', () => {
  test('new run: stage options from their schema, photos uploaded, the run page follows it to the end', async () => {
    await page.goto(`${app.url}/runs`);
    await page.waitForSelector('text=No runs yet');
    await shot(page, 'runs-empty');
    await page.click('text=Start the first run');
    await page.waitForSelector('form[aria-label="New run"] select[name=pipeline] option[value=inspect]', {
      state: 'attached',
    });
    await page.selectOption('select[name=pipeline]', 'inspect');
    await page.waitForSelector('#opt-kind-top_k');
    const fields = {
      score: await page.inputValue('#opt-detect-score'),
      target: await page.inputValue('#opt-kind-target'),
      topK: await page.getAttribute('#opt-kind-top_k', 'max'),
    };
    await page.fill('#opt-detect-score', '0.4');
    await page.selectOption('#opt-kind-target', 'detections');
    const changed = await page.textContent('text=/\\d+ changed/');
    await page.setInputFiles('input[name=files]', [
      join(IMAGES, 'dog.jpg'),
      ...PHOTOS.slice(0, 3).map((p) => join(COCO, p)),
    ]);
    await page.check('input[name=keep][value=annotated]');
    await shot(page, 'runs-new');
    await page.click('button:text("Start run (4 photos)")');
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await page.waitForSelector('.run-page[data-status=succeeded]', { timeout: 60_000 });
    const id = runIdOf(page);
    const nodes = await page.$$eval('.dag-node', (ns) =>
      ns.map((n) => [n.getAttribute('data-step'), n.getAttribute('data-status')]),
    );
    const run = (await (await app.api(`/api/runs/${id}`)).json()) as {
      spec: { overrides: Record<string, unknown>; register_outputs: string[] };
    };
    await shot(page, 'runs-done');
    expect({ fields, changed, nodes, overrides: run.spec.overrides, keep: run.spec.register_outputs }).toEqual({
      fields: { score: '0.3', target: 'image', topK: '50' },
      changed: '2 changed',
      nodes: [
        ['detect', 'succeeded'],
        ['kind', 'succeeded'],
        ['draw', 'succeeded'],
      ],
      overrides: { 'detect.score': 0.4, 'kind.target': 'detections' },
      keep: ['annotated'],
    });
  }, 120_000);

  test('an item shows its input beside its annotated output, zoomed together; the log tells the run', async () => {
    await page.click('.items tr[data-item="0"] button.link');
    await page.waitForSelector('.item-detail .compare img[alt="Annotated output"]');
    const sizes = () =>
      page.evaluate<Array<[boolean, number]>>(
        `[...document.querySelectorAll('.compare img')].map((i) => [i.naturalWidth > 0, Math.round(i.getBoundingClientRect().width)])`,
      );
    const before = await sizes();
    await page.fill('.zoom input[type=range]', '2');
    const after = await sizes();
    const found = await page.textContent('.item-detail .facts');
    await shot(page, 'runs-item');
    const log = await page.textContent('.run-log');
    expect({
      loaded: before.map((s) => s[0]),
      zoomed: after.map((s, i) => Math.round(s[1] / before[i]![1]!)),
      found,
      log,
    }).toEqual({
      loaded: [true, true],
      zoomed: [2, 2],
      found: expect.stringMatching(/dog/),
      log: expect.stringContaining('finished: succeeded'),
    });
  }, 60_000);

  test('a clip: the DAG shows its steps running live; cancel stops it', async () => {
    const res = await app.api('/api/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pipeline: 'objects',
        inputs: [
          { video: join(VIDEOS, 'person-bicycle-car-detection_from-gif.mp4') },
          { video: join(VIDEOS, 'bottle-detection.mp4') },
        ],
      }),
    });
    const { run_id } = (await res.json()) as { run_id: string };
    await page.goto(`${app.url}/runs/${run_id}`);
    await page.waitForSelector('.dag-node[data-status=running]', { timeout: 30_000 });
    await shot(page, 'runs-live');
    await page.click('button:text("Cancel")');
    await page.waitForSelector('.run-page[data-status=canceled]', { timeout: 10_000 });
    const badges = await page.$$eval('.items [data-state]', (b) => b.map((x) => x.getAttribute('data-state')));
    expect(badges).toContain('skipped');
  }, 60_000);

  test('a failed item is retried from the page; resubmit with an edited option makes a linked run; delete', async () => {
    await page.goto(`${app.url}/runs/new`);
    await page.waitForSelector('#opt-detect-score');
    await page.setInputFiles('input[name=files]', [join(COCO, PHOTOS[0]!), join(cutDir.path, 'cut.jpg')]);
    await page.click('button:text("Start run (2 photos)")');
    await page.waitForSelector('.run-page[data-status=partially_failed]', { timeout: 60_000 });
    const parent = runIdOf(page);
    await page.click('button:text("Retry failed items")');
    await until(
      page,
      async (url: string) => {
        const r = (await (await fetch(url)).json()) as { status: string; items: Array<{ attempts: number }> };
        return r.status === 'partially_failed' && r.items[1]?.attempts === 2;
      },
      `${app.url}/api/runs/${parent}`,
    );
    await page.click('button:text("Resubmit…")');
    await page.waitForSelector('.resubmit #opt-detect-score');
    await page.fill('.resubmit #opt-detect-score', '0.8');
    await shot(page, 'runs-resubmit');
    await page.click('button:text("Start the new run")');
    await page.waitForURL((u) => !u.pathname.endsWith(parent));
    await page.waitForSelector('text=Resubmitted from');
    const child = runIdOf(page);
    const c = (await (await app.api(`/api/runs/${child}`)).json()) as {
      parent_id: string;
      spec: { overrides: object };
    };
    page.once('dialog', (d) => void d.accept());
    await page.waitForSelector('.run-page[data-status=partially_failed]', { timeout: 60_000 });
    await page.click('button:text("Delete")');
    await page.waitForURL(/\/runs$/);
    expect({
      parent: c.parent_id,
      overrides: c.spec.overrides,
      deleted: (await app.api(`/api/runs/${child}`)).status,
    }).toEqual({ parent, overrides: { 'detect.score': 0.8 }, deleted: 404 });
  }, 120_000);

  test('photos chosen in Explore start a run; without an annotate stage the result draws its detections over the input', async () => {
    const ids: string[] = [];
    for (const f of PHOTOS.slice(40, 42)) {
      const form = new FormData();
      form.append('file', new File([await Bun.file(join(COCO, f)).bytes()], f));
      ids.push(
        ((await (await fetch(`${app.url}/api/images`, { method: 'POST', body: form })).json()) as { image_id: string })
          .image_id,
      );
    }
    await page.goto(`${app.url}/explore`);
    for (const id of ids) await page.check(`.tile[data-image="${id}"] input.tile-select`);
    await page.click('form.bulk >> text=New run…');
    await page.waitForSelector('text=2 photos from the library');
    // This box allows clips by path (runs.video_dirs), so the field is offered.
    await page.waitForSelector('input[name=video]');
    await page.selectOption('select[name=pipeline]', 'objects');
    await page.click('button:text("Start run (2 photos)")');
    await page.waitForSelector('.run-page[data-status=succeeded]', { timeout: 60_000 });
    const run = (await (await fetch(`${app.url}/api/runs/${runIdOf(page)}`)).json()) as {
      items: Array<{ kind: string; source: string; output: { detections: unknown[] } }>;
    };
    expect(run.items.map((i) => [i.kind, i.source])).toEqual(ids.map((id) => ['image', id]));
    const found = run.items.findIndex((i) => i.output.detections.length > 0);
    await page.click(`.items tr[data-item="${found}"] button.link`);
    await page.waitForSelector('.compare .overlay rect');
    const rects = await page.$$eval('.compare .overlay rect', (rs) => rs.length);
    const caption = await page.$$eval('.compare figcaption', (fs) => fs.map((f) => f.textContent));
    await shot(page, 'runs-item-detections');
    const n = run.items[found]!.output.detections.length;
    expect([rects, caption]).toEqual([n, ['Input', `Detections (${n})`]]);
  }, 90_000);

  test('history filters by status; the pages fit a phone; every tab stop is visibly focused', async () => {
    await page.goto(`${app.url}/runs?status=canceled`);
    await page.waitForSelector('.run-row');
    const shown = await page.$$eval('.run-row [data-state]', (b) => b.map((x) => x.getAttribute('data-state')));
    await shot(page, 'runs-history');
    const phone = await browser.page(app.url, PHONE);
    pages.push(phone);
    const widths: Record<string, number> = {};
    for (const [path, ready] of [
      ['/runs', '.run-row'],
      ['/runs/new', '#opt-detect-score'],
    ] as const) {
      await phone.goto(app.url + path);
      await phone.waitForSelector(ready);
      await shot(phone, `runs-${path === '/runs' ? 'history' : 'new'}-phone`);
      widths[path] = await phone.evaluate<number>('document.documentElement.scrollWidth');
    }
    await page.goto(`${app.url}/runs/new`);
    await page.waitForSelector('#opt-detect-score');
    const unfocused: string[] = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      const s = await page.evaluate<{ tag: string; outlined: boolean; text: string }>(`(() => {
        const el = document.activeElement; const cs = getComputedStyle(el);
        return { tag: el.tagName.toLowerCase(), outlined: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0,
          text: (el.getAttribute('aria-label') || el.id || el.textContent || '').trim().slice(0, 30) };
      })()`);
      if (s.tag !== 'body' && !s.outlined) unfocused.push(`${s.tag} ${s.text}`);
    }
    expect({ shown: [...new Set(shown)], widths, unfocused }).toEqual({
      shown: ['canceled'],
      widths: { '/runs': PHONE.width, '/runs/new': PHONE.width },
      unfocused: [],
    });
  }, 90_000);

  test('no page made a request to another origin or threw', () => {
    expect(pages.flatMap((p) => p.problems)).toEqual([]);
  });
});
