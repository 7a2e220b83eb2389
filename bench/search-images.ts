/**
 * @module Real-image figures: the 100 COCO photos plus a flipped and a cropped copy of each, through
 * the real appliance (in-process server on loopback). Baseline: onnxruntime alone on a prepared
 * tensor. Reports embedding, register and search-by-image latency, and HNSW recall@10 against
 * exact DuckDB search on the real embeddings.
 */
import sharp from 'sharp';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COCO, form, startAppliance } from '../test/helpers/fixtures';
import { openLocalSession } from '../appliance/inference/onnx-session';
import { verifiedPath } from '../appliance/models/pull';
import { findModel } from '../appliance/models/catalog';
import { median, percentile, ms, row, timeEach } from './lib/stats';

async function variants(): Promise<{ originals: Buffer[]; copies: Buffer[]; hd: Buffer[] }> {
  const files = readdirSync(COCO).sort();
  const originals = await Promise.all(
    files.map((f) =>
      Bun.file(join(COCO, f))
        .arrayBuffer()
        .then((b) => Buffer.from(b)),
    ),
  );
  const copies: Buffer[] = [];
  for (const f of files) {
    const { width, height } = await sharp(join(COCO, f)).metadata();
    copies.push(await sharp(join(COCO, f)).flop().jpeg({ quality: 85 }).toBuffer());
    copies.push(
      await sharp(join(COCO, f))
        .extract({
          left: Math.round(width! * 0.15),
          top: Math.round(height! * 0.15),
          width: Math.round(width! * 0.7),
          height: Math.round(height! * 0.7),
        })
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
  }
  const hd = await Promise.all(
    files
      .slice(0, 20)
      .map((f) => sharp(join(COCO, f)).resize(1920, 1080, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer()),
  );
  return { originals, copies, hd };
}

export async function imageSearch(): Promise<string[]> {
  const { originals, copies, hd } = await variants();
  await using app = await startAppliance({ api: { rate_limit_per_minute: 1_000_000 } });
  const rt = app.rt;

  // Baseline: onnxruntime alone, one prepared tensor, no decode.
  const model = findModel(rt.catalog, rt.config.models.embed);
  // Bare: onnxruntime in this thread, no worker.
  const { session: bare } = await openLocalSession(await verifiedPath(model, rt.paths.models), {
    providers: ['cpu'],
    threads: 0,
    ref: 'bare',
  });
  // Fresh tensors per run (made outside the timing), as the appliance's worker sessions need.
  const tensors = Array.from({ length: 105 }, () => ({
    input: { data: new Float32Array(3 * 224 * 224).fill(0.1), dims: [1, 3, 224, 224] },
  }));
  for (let i = 0; i < 5; i++) await bare.run(tensors.pop()!, ['embedding']);
  const tOrt = await timeEach(tensors, (t) => bare.run(t, ['embedding']));
  await bare.close();

  const tEmbed = await timeEach(originals, (b) => rt.embedder.embed(b));
  const post = (b: Buffer, extra: Record<string, string> = {}) =>
    app.api('/api/images', { method: 'POST', body: form({ file: new Blob([b]), ...extra }) }).then(async (r) => {
      if (r.status !== 201) throw new Error(await r.text());
    });
  const tRegister = await timeEach([...originals, ...copies], (b) => post(b));
  const tRegisterHd = await timeEach(hd, (b) => post(b, { tags: 'hd' }));

  const search = (b: Buffer) =>
    app.api('/api/search', { method: 'POST', body: form({ file: new Blob([b]), limit: '10' }) }).then((r) => r.json());
  const queries = copies.filter((_, i) => i % 2 === 1);
  const tSearch = await timeEach(queries, (b) => search(b));

  // Recall of the index on the real embeddings, against exact DuckDB search.
  const ids = (await rt.images.list({}, 1, 100)).items.map((r) => r.id);
  let hit = 0;
  let total = 0;
  const tById: number[] = [];
  for (const id of ids) {
    const t0 = performance.now();
    const approx = await rt.images.search({ kind: 'id', id }, { limit: 10, threshold: -1, filters: {}, exactBelow: 0 });
    tById.push(performance.now() - t0);
    const exact = await rt.images.search(
      { kind: 'id', id },
      { limit: 10, threshold: -1, filters: {}, exactBelow: Number.MAX_SAFE_INTEGER },
    );
    const a = new Set(approx.map((s) => s.row.id));
    hit += exact.filter((s) => a.has(s.row.id)).length;
    total += exact.length;
  }

  const n = rt.index.index.size;
  return [
    row([
      'onnxruntime alone (baseline)',
      'MobileNetV2 int8 run, prepared 1x3x224x224 tensor',
      ms(median(tOrt)),
      ms(percentile(tOrt, 95)),
      '',
      '',
    ]),
    row([
      'embed an image',
      'decode + resize/crop (sharp) + tensor + run + L2',
      ms(median(tEmbed)),
      ms(percentile(tEmbed, 95)),
      '',
      `${(median(tEmbed) / median(tOrt)).toFixed(1)}x the bare run`,
    ]),
    row([
      'register (HTTP, COCO ~640x480 JPEG)',
      `POST /api/images, ${tRegister.length} images`,
      ms(median(tRegister)),
      ms(percentile(tRegister, 95)),
      '',
      `${(median(tRegister) / median(tOrt)).toFixed(1)}x the bare run`,
    ]),
    row([
      'register (HTTP, 1920x1080 JPEG)',
      `POST /api/images, ${tRegisterHd.length} images`,
      ms(median(tRegisterHd)),
      ms(percentile(tRegisterHd, 95)),
      '',
      'target <= 100 ms',
    ]),
    row([
      'search by image (HTTP)',
      `POST /api/search with a crop, ${queries.length} queries, index of ${n}`,
      ms(median(tSearch)),
      ms(percentile(tSearch, 95)),
      '',
      '',
    ]),
    row([
      'search by id (service)',
      `HNSW forced, ${ids.length} queries`,
      ms(median(tById)),
      ms(percentile(tById, 95)),
      (hit / total).toFixed(3),
      'recall@10 vs exact DuckDB on real embeddings',
    ]),
  ];
}
