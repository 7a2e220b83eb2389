/**
 * @module The native files the compiled binary must carry, and how each addon's loader is rewritten to
 * load them from FOVEA_NATIVE_DIR. Paths inside that directory keep the node_modules layout where an
 * addon finds its shared library through an $ORIGIN-relative rpath (sharp -> libvips).
 * Linux x64 (glibc) only: that is what the fleet runs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const nm = (p: string) => join(import.meta.dir, '..', 'node_modules', p);
const sharpNode = readdirSync(nm('@img/sharp-linux-x64/lib')).find((f) => f.endsWith('.node'))!;
const vipsLib = readdirSync(nm('@img/sharp-libvips-linux-x64/lib')).find((f) => f.startsWith('libvips-cpp.so'))!;

/** [absolute source path, path inside the extraction directory] */
export const nativeFiles: Array<[string, string]> = [
  [nm('onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'), 'ort/onnxruntime_binding.node'],
  [nm('onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1'), 'ort/libonnxruntime.so.1'],
  [nm('@duckdb/node-bindings-linux-x64/duckdb.node'), 'duckdb/duckdb.node'],
  [nm('@duckdb/node-bindings-linux-x64/libduckdb.so'), 'duckdb/libduckdb.so'],
  [nm('usearch/prebuilds/linux-x64/usearch.node'), 'usearch/usearch.node'],
  [nm(`@img/sharp-linux-x64/lib/${sharpNode}`), `@img/sharp-linux-x64/lib/${sharpNode}`],
  [nm(`@img/sharp-libvips-linux-x64/lib/${vipsLib}`), `@img/sharp-libvips-linux-x64/lib/${vipsLib}`],
];

/**
 * The GPU build's natives: the GPU release's core in place of the CPU one, and its provider
 * libraries beside it in ort/ (the core loads them from its own directory).
 */
export function gpuNatives(cpu: Array<[string, string]>, gpuFiles: string[]): Array<[string, string]> {
  const [core, ...providers] = gpuFiles;
  return [
    ...cpu.map(([src, rel]): [string, string] => (rel === 'ort/libonnxruntime.so.1' ? [core!, rel] : [src, rel])),
    ...providers.map((p): [string, string] => [p, `ort/${p.split('/').pop()}`]),
  ];
}

const load = (rel: string) => `require(process.env.FOVEA_NATIVE_DIR + ${JSON.stringify(`/${rel}`)})`;

export interface Rewrite {
  file: RegExp;
  from: RegExp;
  to: string;
}

/** Loader rewrites; the build fails when a pattern is not found (a dependency changed its loader). */
export const rewrites: Rewrite[] = [
  {
    file: /onnxruntime-node\/dist\/binding\.js$/,
    from: /require\(`\.\.\/bin\/napi-v6\/[^`]+onnxruntime_binding\.node`\)/,
    to: load('ort/onnxruntime_binding.node'),
  },
  {
    file: /@duckdb\/node-bindings\/duckdb\.js$/,
    from: /module\.exports = getNativeNodeBinding\(getRuntimePlatformArch\(\)\);/,
    to: `module.exports = ${load('duckdb/duckdb.node')};`,
  },
  { file: /@duckdb\/node-bindings\/duckdb\.js$/, from: /const getNativeNodeBinding = [\s\S]*?\n}\n/, to: '' },
  {
    file: /usearch\/javascript\/dist\/esm\/usearch\.js$/,
    from: /const compiled = build\(getBuildDir\(getDirName\(\)\)\);/,
    to: `const compiled = ${load('usearch/usearch.node')};`,
  },
  {
    file: /usearch\/javascript\/dist\/(esm|cjs)\/usearch\.js$/,
    from: /if \(process\.uptime\(\) < 0\) \{[\s\S]*?\n\}/,
    to: '',
  },
  {
    file: /usearch\/javascript\/dist\/cjs\/usearch\.js$/,
    from: /const compiled = \(0, node_gyp_build_1\.default\)\(getBuildDir\(getDirName\(\)\)\);/,
    to: `const compiled = ${load('usearch/usearch.node')};`,
  },
  {
    file: /sharp\/dist\/sharp\.mjs$/,
    from: /let sharp;[\s\S]*\nexport default sharp;/,
    to: `const sharp = ${load(`@img/sharp-linux-x64/lib/${sharpNode}`)};\nexport default sharp;`,
  },
  {
    file: /sharp\/dist\/sharp\.cjs$/,
    from: /let sharp;[\s\S]*\nmodule\.exports = sharp;/,
    to: `const sharp = ${load(`@img/sharp-linux-x64/lib/${sharpNode}`)};\nmodule.exports = sharp;`,
  },
];
