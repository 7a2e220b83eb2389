/**
 * @module Builds the dashboard (ui/app, Preact) with Bun's bundler into content-hashed files held in
 * memory: `index.html` (a template: the base path is put in per request), `assets/<name>-<hash>.<ext>`,
 * and the service worker `sw.js`.
 * The compiled binary builds them at build time and embeds them (scripts/build.ts); from source they
 * are built once at start.
 */
import { join } from 'node:path';

export interface UiFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

/** The built dashboard: the page template and its assets by name (`assets/main-1a2b3c.js`, and `sw.js`). */
export interface UiBundle {
  index: string;
  assets: Map<string, UiFile>;
}

const APP = join(import.meta.dir, 'app');
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
};

export async function buildUi(): Promise<UiBundle> {
  const r = await Bun.build({
    entrypoints: [join(APP, 'main.tsx')],
    target: 'browser',
    minify: true,
    splitting: true,
    naming: { entry: '[name]-[hash].[ext]', chunk: '[name]-[hash].[ext]', asset: '[name]-[hash].[ext]' },
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  if (!r.success) throw new AggregateError(r.logs, 'the dashboard did not build');
  const assets = new Map<string, UiFile>();
  let entry = '';
  let css = '';
  for (const o of r.outputs) {
    const name = o.path.replace(/^\.\//, '');
    const ext = name.split('.').pop()!;
    assets.set(`assets/${name}`, { body: new Uint8Array(await o.arrayBuffer()), type: TYPES[ext] ?? o.type });
    if (o.kind === 'entry-point') entry = name;
    if (ext === 'css') css = name;
  }
  // The service worker keeps one address (a browser registers it by URL): sw.js, at the base.
  const sw = await Bun.build({
    entrypoints: [join(import.meta.dir, 'sw', 'sw.ts')],
    target: 'browser',
    minify: true,
  });
  if (!sw.success) throw new AggregateError(sw.logs, 'the service worker did not build');
  assets.set('sw.js', { body: new Uint8Array(await sw.outputs[0]!.arrayBuffer()), type: TYPES.js! });
  const template = await Bun.file(join(import.meta.dir, 'index.html')).text();
  const index = template
    .replace('__CSS__', css ? `<link rel="stylesheet" href="assets/${css}">` : '')
    .replace('__JS__', `<script type="module" src="assets/${entry}"></script>`);
  return { index, assets };
}
