/**
 * The photo library in a real browser (Debian's Chromium) against a real appliance with users:
 * private photos marked and hidden from another user, the quota bar, a photo's pane with its EXIF
 * (a camera photo written by exiftool), a name edited in place (the id stays), a selection tagged
 * and made private at once. One appliance and one browser for the file, tests in order.
 * Screenshots: test-artifacts/screenshots/library-*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { COCO, fileBlob, form, startAppliance, tempDir, type Appliance } from '../helpers/fixtures';
import { shot, startBrowser, until, type Browsing } from '../helpers/browser';
import { cameraPhoto } from '../helpers/exif';

// biome-ignore lint/suspicious/noExplicitAny: API answers are read field by field
type Json = Record<string, any>;

let app: Appliance;
let browser: Browsing;
let dir: { path: string } & AsyncDisposable;
const keys: Record<string, string> = {};
const pages: Array<Page & { problems: string[] }> = [];
const PHOTOS = readdirSync(COCO)
  .filter((f) => f.endsWith('.jpg'))
  .sort();
const ids: Record<string, string> = {};

beforeAll(async () => {
  app = await startAppliance({});
  dir = await tempDir();
  await app.rt.users.create('ada', 'admin', 'ada password 1');
  for (const name of ['ann', 'bob']) {
    const u = await app.rt.users.create(name, 'operator', `${name} password 1`);
    keys[name] = await app.rt.keys.create(`k-${name}`, { user_id: u.id });
  }
  const upload = async (who: string, path: string, fields: Record<string, string>) =>
    (
      (await (
        await fetch(`${app.url}/api/images`, {
          method: 'POST',
          headers: { 'x-api-key': keys[who]! },
          body: form({ file: [await fileBlob(path, 'image/jpeg'), 'p.jpg'], ...fields }),
        })
      ).json()) as Json
    ).image_id as string;
  ids.camera = await upload('ann', await cameraPhoto(dir.path, 'canon.jpg', PHOTOS[20]!), { name: 'beach' });
  ids.secret = await upload('ann', join(COCO, PHOTOS[21]!), { name: 'secret', private: 'true' });
  ids.plain = await upload('ann', join(COCO, PHOTOS[22]!), { name: 'plain' });
  ids.bobs = await upload('bob', join(COCO, PHOTOS[23]!), { name: 'bobs' });
  browser = await startBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await app?.[Symbol.asyncDispose]();
  await dir?.[Symbol.asyncDispose]();
});

const api = async (who: string, path: string) =>
  (await (await fetch(app.url + path, { headers: { 'x-api-key': keys[who]! } })).json()) as Json;

async function signIn(who: string): Promise<Page & { problems: string[] }> {
  const p = await browser.page(app.url);
  pages.push(p);
  await p.goto(`${app.url}/login`);
  await p.fill('input[name=username]', who);
  await p.fill('input[name=password]', `${who} password 1`);
  await p.click('button[type=submit]');
  await p.waitForSelector('nav[aria-label=Main]');
  await p.goto(`${app.url}/explore`);
  await p.waitForSelector('.tiles .tile');
  return p;
}

describe('photo library pages', () => {
  test('private photos are marked for their owner and absent for another user; the quota bar shows what is stored', async () => {
    const ann = await signIn('ann');
    const bob = await signIn('bob');
    const tiles = (p: Page) => p.$$eval('.tiles .tile', (ts) => ts.map((t) => t.getAttribute('data-image')).sort());
    const privateTiles = await ann.$$eval('.tile[data-private=true]', (ts) =>
      ts.map((t) => t.getAttribute('data-image')),
    );
    const quota = await ann.textContent('.quota');
    const me = await api('ann', '/api/auth/me');
    await shot(ann, 'library-grid');
    expect({ ann: await tiles(ann), bob: await tiles(bob), privateTiles }).toEqual({
      ann: Object.values(ids).sort(),
      bob: [ids.camera, ids.plain, ids.bobs].sort(),
      privateTiles: [ids.secret],
    });
    expect(quota).toContain(`${(me.library.used_bytes / 1e6).toFixed(1)} MB of 1.07 GB`);
  }, 60_000);

  test('a photo’s pane shows its EXIF; a name edited in place is saved, the id unchanged', async () => {
    const ann = pages[0]!;
    await ann.click(`.tile[data-image="${ids.camera}"] .tile-open`);
    await ann.waitForSelector('.photo-pane .exif');
    const exif = await ann.$$eval('.photo-pane .exif div', (ds) =>
      Object.fromEntries(ds.map((d) => [d.querySelector('dt')!.textContent, d.querySelector('dd')!.textContent])),
    );
    expect(exif).toEqual({
      Taken: '2026-05-04 10:11:12 (UTC+02:00)',
      Camera: 'Canon EOS 5D Mark IV',
      Lens: 'EF24-70mm f/2.8L II USM',
      Exposure: '1/125 s',
      Aperture: 'f/2.8',
      'Focal length': '50 mm',
      ISO: '400',
      Location: '52.52001, 13.40495, 34.5 m',
    });
    await ann.fill('.photo-pane input[name=name]', 'beach at noon');
    await ann.fill('.photo-pane input[name=tags]', 'summer, sea');
    await ann.click('.photo-pane button[type=submit]');
    await ann.waitForSelector(`.tile[data-image="${ids.camera}"] .tile-name:has-text("beach at noon")`);
    await shot(ann, 'library-pane');
    const saved = await api('ann', `/api/images/${ids.camera}`);
    expect([saved.image_id, saved.name, saved.tags.sort()]).toEqual([ids.camera, 'beach at noon', ['sea', 'summer']]);
    await ann.click('.photo-pane button[aria-label="Close the photo"]');
  }, 60_000);

  test('a selection is tagged and made private at once; the other user no longer sees them', async () => {
    const ann = pages[0]!;
    for (const id of [ids.camera, ids.plain]) await ann.check(`.tile[data-image="${id}"] .tile-select`);
    await ann.waitForSelector('form.bulk >> text=2 selected');
    await ann.fill('form.bulk input[name=tag]', 'trip');
    await shot(ann, 'library-bulk');
    await ann.click('form.bulk button[type=submit]');
    await ann.waitForSelector('form.bulk', { state: 'detached' });
    for (const id of [ids.camera, ids.plain]) await ann.check(`.tile[data-image="${id}"] .tile-select`);
    await ann.click('form.bulk button:text("Make private")');
    await ann.waitForSelector(`.tile[data-image="${ids.plain}"][data-private=true]`);
    const tags = await Promise.all(
      [ids.camera, ids.plain].map(async (id) => (await api('ann', `/api/images/${id}`)).tags),
    );
    expect(tags.every((t: string[]) => t.includes('trip'))).toBe(true);
    expect((await api('bob', '/api/images')).items.map((i: Json) => i.image_id)).toEqual([ids.bobs]);
  }, 60_000);

  test('an admin sees each library against its quota in System and sets one', async () => {
    const ada = await signIn('ada');
    await ada.goto(`${app.url}/system`);
    await ada.waitForSelector('form[aria-label="Library quota of bob"]');
    const shown = await ada.textContent('form[aria-label="Library quota of bob"]');
    await ada.fill('input[aria-label="Quota of bob in GB"]', '0.01');
    await ada.click('form[aria-label="Library quota of bob"] button');
    await until(ada, `document.querySelector('input[aria-label="Quota of bob in GB"]')?.value === '0.01'`);
    await shot(ada, 'library-quota-admin');
    const bob = (
      (await (await fetch(`${app.url}/api/users`, { headers: { 'x-api-key': await adminKey() } })).json()) as Json
    ).items.find((u: Json) => u.name === 'bob');
    expect([shown?.includes('of'), bob.quota_bytes]).toEqual([true, 10_000_000]);
    expect(pages.flatMap((p) => p.problems)).toEqual([]);
  }, 60_000);
});

async function adminKey(): Promise<string> {
  keys.ada ??= await app.rt.keys.create('k-ada', { user_id: app.rt.users.byName('ada')!.id });
  return keys.ada;
}
