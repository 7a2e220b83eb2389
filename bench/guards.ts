/**
 * @module bench guards: what issues 28 and 29's guards cost, each beside its bare baseline in the
 * same run: a photo fitted to YOLOX's input with OpenCV's bilinear resize (what the detectors were
 * trained with) against sharp's own resize to the same size; a normal pipeline's YAML through the
 * limits against a bare `yaml` parse; the refusal of a 4,000-deep and an alias-expanded document;
 * the canonical path of a request against a bare `URL` pathname; the event loop held while each
 * refusal runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseDocument } from 'yaml';
import { COCO } from '../test/helpers/fixtures';
import { sharpImaging } from '../appliance/imaging/sharp';
import { parseYaml } from '../appliance/config/validate';
import { canonicalPath } from '../appliance/api/path';
import { median, ms, percentile, row, timeEach } from './lib/stats';

const PIPELINE = readFileSync(join(import.meta.dir, '../appliance/pipeline/builtin/people.yaml'), 'utf8');
const DEEP = `${PIPELINE}x: ${'['.repeat(4000)}${']'.repeat(4000)}\n`;
const ALIASES = (() => {
  let t = `big: &big [${Array.from({ length: 5000 }, (_, i) => `v${i}`).join(', ')}]\n`;
  for (let i = 0; i < 900; i++) t += `k${i}: *big\n`;
  return t;
})();

const refuse = (text: string) => {
  try {
    parseYaml(text, 'x.yaml');
  } catch {}
};

/** The longest a timer beside `work` was held, in ms. */
async function held(work: () => void, times: number): Promise<number> {
  let worst = 0;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    work();
    worst = Math.max(worst, performance.now() - t0);
    await Bun.sleep(0);
  }
  return worst;
}

export async function guardsBench(): Promise<string[]> {
  const photos = readdirSync(COCO)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(COCO, f))));
  const spec = { width: 416, height: 416, pixfmt: 'bgr24', fit: { mode: 'letterbox', align: 'top-left', pad: 114 } };
  // Warm both paths once.
  await sharpImaging.fitRaw(photos[0]!, spec as never, 1e8);
  const ours = await timeEach(photos, (p) => sharpImaging.fitRaw(p, spec as never, 1e8));
  const bare = await timeEach(photos, async (p) => {
    const img = sharp(p).rotate();
    const { width = 1, height = 1 } = await img.metadata();
    const r = Math.min(416 / width, 416 / height);
    await img
      .resize(Math.floor(width * r), Math.floor(height * r), { fit: 'fill', kernel: 'linear' })
      .extend({ right: 416 - Math.floor(width * r), bottom: 416 - Math.floor(height * r), background: '#727272' })
      .removeAlpha()
      .raw()
      .toBuffer();
  });
  const times = (fn: () => unknown, n: number) => timeEach(Array.from({ length: n }), () => fn());
  const yamlOurs = await times(() => parseYaml(PIPELINE, 'people.yaml'), 200);
  const yamlBare = await times(() => parseDocument(PIPELINE).toJS(), 200);
  const deep = await times(() => refuse(DEEP), 50);
  const aliases = await times(() => refuse(ALIASES), 10);
  const paths = ['/api/images/01a24918-1c81-709c-afba-bad3d57570ad/file', '//api/Users/', '/ws/%61nalysis/'];
  const pathOurs = await times(() => paths.map(canonicalPath), 20_000);
  const pathBare = await times(() => paths.map((p) => new URL(`http://x${p}`).pathname), 20_000);
  const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
  const us = (s: number[]) => `${(median(s) * 1000).toFixed(1)} µs`;
  return [
    row([
      'COCO photo to 416x416',
      'fitRaw: sharp decode + OpenCV bilinear + pad',
      ms(median(ours)),
      ms(percentile(ours, 95)),
      `${ratio(ours, bare)} × bare`,
    ]),
    row(['', '(bare) sharp decode + resize (linear kernel) + pad', ms(median(bare)), ms(percentile(bare, 95)), '']),
    row([
      'people.yaml (1.3 KB)',
      'parseYaml with the limits',
      ms(median(yamlOurs)),
      ms(percentile(yamlOurs, 95)),
      `${ratio(yamlOurs, yamlBare)} × bare`,
    ]),
    row(['', '(bare) yaml parseDocument + toJS', ms(median(yamlBare)), ms(percentile(yamlBare, 95)), '']),
    row([
      '8 KB nested 4,000 deep',
      'refused (depth 64)',
      ms(median(deep)),
      ms(percentile(deep, 95)),
      `event loop held ≤ ${ms(await held(() => refuse(DEEP), 20))} ms`,
    ]),
    row([
      `${(ALIASES.length / 1024).toFixed(0)} KB, 900 aliases of a 5,000-item list`,
      'refused (100,000 nodes)',
      ms(median(aliases)),
      ms(percentile(aliases, 95)),
      `event loop held ≤ ${ms(await held(() => refuse(ALIASES), 5))} ms`,
    ]),
    row(['3 request paths', 'canonicalPath', us(pathOurs), '', `${ratio(pathOurs, pathBare)} × bare`]),
    row(['', '(bare) new URL().pathname', us(pathBare), '', '']),
  ];
}
