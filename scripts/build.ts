/**
 * @module `bun run build`: one self-contained executable, dist/fovea. JavaScript, SQL, the catalog and
 * the native addons with their shared libraries are all inside it (see scripts/native-files.ts).
 * `bun run build:gpu` (`--gpu`): dist/fovea-gpu, the same with ONNX Runtime's GPU core and its
 * CUDA, TensorRT and shared provider libraries from FOVEA_ORT_GPU_DIR, checked first against the
 * binding's version and the pinned sha256 (scripts/ort-gpu.ts); `--pin` records the sha256 once.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpuNatives, nativeFiles, rewrites } from './native-files';
import { checkGpuSet, readLock, writeLock } from './ort-gpu';
import { buildUi } from '../appliance/ui/bundle';

const root = join(import.meta.dir, '..');
const args = process.argv.slice(2);
const gpu = args.includes('--gpu');
const outfile = args.find((a) => !a.startsWith('--')) ?? join(root, 'dist', gpu ? 'fovea-gpu' : 'fovea');
mkdirSync(join(root, 'dist'), { recursive: true });

// The GPU build's natives are checked before anything else, so a missing or wrong set fails at once.
let natives = nativeFiles;
if (gpu) {
  const version = (
    JSON.parse(readFileSync(join(root, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  try {
    const pin = args.includes('--pin');
    const set = checkGpuSet(process.env.FOVEA_ORT_GPU_DIR, { version, lock: readLock(), pin });
    if (pin) {
      writeLock(set.lock);
      console.log(`pinned the ONNX Runtime ${version} GPU set in scripts/ort-gpu.lock.json: commit it`);
    }
    natives = gpuNatives(nativeFiles, set.files);
  } catch (e) {
    console.error(`build:gpu: ${(e as Error).message}`);
    process.exit(1);
  }
}

const hash = createHash('sha256');
for (const [src] of natives) hash.update(readFileSync(src));
const bootSource = readFileSync(join(import.meta.dir, 'native-boot.ts.txt'), 'utf8')
  .replace(
    '__IMPORTS__',
    natives.map(([src], i) => `import f${i} from ${JSON.stringify(src)} with { type: 'file' };`).join('\n'),
  )
  .replace(
    '__FILES__',
    `[${natives.map(([src, rel], i) => `[f${i}, ${JSON.stringify(rel)}, ${statSync(src).size}]`).join(', ')}]`,
  )
  .replace('__HASH__', hash.digest('hex').slice(0, 16));

// The dashboard, built now and embedded: ui/assets.ts is replaced by a module that serves these files.
const uiDir = join(root, 'dist', 'ui');
rmSync(uiDir, { recursive: true, force: true });
mkdirSync(join(uiDir, 'assets'), { recursive: true });
const ui = await buildUi();
const uiFiles = [...ui.assets].map(([name, f], i) => {
  writeFileSync(join(uiDir, name), f.body);
  return { i, name, type: f.type, path: join(uiDir, name) };
});
const uiSource = `${uiFiles.map((f) => `import u${f.i} from ${JSON.stringify(f.path)} with { type: 'file' };`).join('\n')}
const index = ${JSON.stringify(ui.index)};
const files = [${uiFiles.map((f) => `[${JSON.stringify(f.name)}, u${f.i}, ${JSON.stringify(f.type)}]`).join(', ')}];
let bundle = null;
export function uiBundle() {
  bundle ??= Promise.all(files.map(async ([name, path, type]) => [name, { body: new Uint8Array(await Bun.file(path).arrayBuffer()), type }]))
    .then((entries) => ({ index, assets: new Map(entries) }));
  return bundle;
}
`;

const applied = new Set<number>();
const result = await Bun.build({
  // The inference worker is bundled as its own entrypoint (Bun's rule for workers in executables).
  entrypoints: [join(root, 'appliance/main.ts'), join(root, 'appliance/inference/onnx-host.ts')],
  compile: { outfile },
  minify: { syntax: true, whitespace: true, identifiers: false },
  sourcemap: 'none',
  plugins: [
    {
      name: 'fovea-native',
      setup(build) {
        build.onLoad({ filter: /appliance\/native\.ts$/ }, () => ({ contents: bootSource, loader: 'ts' }));
        build.onLoad({ filter: /appliance\/ui\/assets\.ts$/ }, () => ({ contents: uiSource, loader: 'js' }));
        build.onLoad(
          { filter: /node_modules\/(onnxruntime-node|@duckdb\/node-bindings|usearch|sharp)\/.*\.(c|m)?js$/ },
          async (args) => {
            let text = await Bun.file(args.path).text();
            rewrites.forEach((r, i) => {
              if (!r.file.test(args.path)) return;
              if (!r.from.test(text))
                throw new Error(
                  `build: loader pattern ${i} not found in ${args.path}; the dependency changed, update scripts/native-files.ts`,
                );
              text = text.replace(r.from, r.to);
              applied.add(i);
            });
            return { contents: text, loader: 'js' };
          },
        );
      },
    },
  ],
});
if (!result.success) {
  for (const m of result.logs) console.error(m);
  process.exit(1);
}
console.log(
  `built ${outfile} (${(statSync(outfile).size / 1e6).toFixed(1)} MB; loader rewrites applied: ${[...applied].sort().join(',')})`,
);
