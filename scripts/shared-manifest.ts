/**
 * Writes test/fixtures/shared.json: every file the tests and benches read from the shared material,
 * with its sha256 and the pinned upstream URL it comes from (null where none is known: those can
 * only come from a shared copy). Run it after the tests start using another shared file:
 * `bun scripts/shared-manifest.ts [SHARED_DIR]`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const shared = resolve(process.argv[2] ?? join(import.meta.dir, '../../shared'));
const YOLOX =
  'https://raw.githubusercontent.com/Kazuhito00/YOLOX-ONNX-TFLite-Sample/3d4f1119d0694200671c08069ecb847aa0d8495a/';
const INTEL =
  'https://raw.githubusercontent.com/intel-iot-devkit/sample-videos/57978890822836f2b4743852f04f62fc511757e4/';
const MOT =
  'https://raw.githubusercontent.com/Kazuhito00/MOT-Tracking-by-Detection-Pipeline/e50a76b8b430b778276e7fd04fd4cafd5d45eab2/';
const GARAGE =
  'https://raw.githubusercontent.com/Lawrence-lugs/hwacc_design_garage/3d6147f8729cafb4c79faf9c2f1eab1bf76213a2/';

const upstream: Record<string, string | null> = {
  'models/yolox_nano_416.onnx': `${YOLOX}model/yolox_nano.onnx`,
  'models/coco_classes.txt': `${YOLOX}coco_classes.txt`,
  'models/nanodet_m_320.onnx': `${MOT}Detector/nanodet/model/nanodet_m_320.onnx`,
  'models/mobilenetv2-12-int8.onnx': `${GARAGE}onnx_models/mobilenetv2-12-int8.onnx`,
  'media/videos/one-by-one-person-detection.mp4': `${INTEL}one-by-one-person-detection.mp4`,
  'media/videos/car-detection.mp4': `${INTEL}car-detection.mp4`,
  'media/videos/bottle-detection.mp4': `${INTEL}bottle-detection.mp4`,
  // Transcoded by the shared material's maker from the repo's preview GIFs; the photos' source
  // is not pinned anywhere known here.
  'media/videos/people-detection_from-gif.mp4': null,
  'media/videos/person-bicycle-car-detection_from-gif.mp4': null,
  'media/images/dog.jpg': null,
  'media/images/person.jpg': null,
};
for (const f of readdirSync(join(shared, 'media/images/coco'))
  .filter((f) => f.endsWith('.jpg'))
  .sort())
  upstream[`media/images/coco/${f}`] = `${YOLOX}representative_dataset/${f}`;

const files = Object.entries(upstream).map(([path, url]) => ({
  path,
  sha256: new Bun.CryptoHasher('sha256').update(readFileSync(join(shared, path))).digest('hex'),
  url,
}));
writeFileSync(join(import.meta.dir, '../test/fixtures/shared.json'), `${JSON.stringify({ files }, null, 1)}\n`);
console.log(`${files.length} files, ${files.filter((f) => !f.url).length} with no pinned upstream`);
