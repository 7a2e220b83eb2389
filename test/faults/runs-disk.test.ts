/**
 * Runs against a disk that fills up for real: the runs folder on a small tmpfs. A run whose inputs
 * do not fit is refused with 507 and leaves nothing behind; an annotated output that does not fit is
 * a transient failure, retried at the policy's backoff until space is freed, each attempt recorded.
 * Needs root (mount).
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import { COCO, fileBlob, startAppliance, tempDir, waitFor } from '../helpers/fixtures';

// biome-ignore lint/suspicious/noExplicitAny: run answers are read field by field
type Json = Record<string, any>;

test('disk full: a run that does not fit is refused with 507, nothing half-written; an output that does not fit is retried until space is freed', async () => {
  await using dir = await tempDir();
  const runsDir = join(dir.path, 'runs');
  await mkdir(runsDir);
  expect(Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', runsDir]).exitCode).toBe(0);
  try {
    await using box = await startAppliance({}, dir.path);
    await mkdir(box.rt.paths.pipelines, { recursive: true });
    await writeFile(
      join(box.rt.paths.pipelines, 'draw.yaml'),
      'stages:\n  detect:\n    type: detect@1\n  draw:\n    type: annotate@1\n    needs: [detect]\n    retry: { limit: 20, backoff: { initial_s: 0.3, factor: 1.5, max_s: 1 } }\n',
    );
    const photos = (await readdir(COCO)).filter((f) => f.endsWith('.jpg')).sort();
    const submit = async (names: string[]) => {
      const f = new FormData();
      for (const n of names) f.append('files', await fileBlob(join(COCO, n), 'image/jpeg'), n);
      f.append('spec', JSON.stringify({ pipeline: 'draw' }));
      const r = await box.api('/api/runs', { method: 'POST', body: f });
      return { status: r.status, body: (await r.json()) as Json };
    };
    const free = () => statfsSync(runsDir).bavail * statfsSync(runsDir).bsize;
    // Room for one photo, not for its annotated output beside it.
    const photo = photos[0]!;
    const size = (await Bun.file(join(COCO, photo)).bytes()).length;
    await writeFile(join(runsDir, 'filler'), new Uint8Array(Math.max(0, free() - size - 16 * 1024)));

    const refused = await submit(photos.slice(0, 5));
    expect([refused.status, refused.body.error.code, (await readdir(runsDir)).sort()]).toEqual([
      507,
      'storage_full',
      ['filler'],
    ]);
    expect(((await (await box.api('/api/runs')).json()) as Json).total).toBe(0);

    const accepted = await submit([photo]);
    expect(accepted.status).toBe(202);
    const id = accepted.body.run_id as string;
    // The output fails for want of space, is retried, and goes through once space is freed.
    await waitFor(
      async () => {
        const r = (await (await box.api(`/api/runs/${id}`)).json()) as Json;
        return (r.items[0].steps.draw.attempts as Json[]).filter((a) => a.error).length >= 2;
      },
      30_000,
      'two failed attempts of the output',
    );
    await rm(join(runsDir, 'filler'));
    const run = await waitFor(
      async () => {
        const r = (await (await box.api(`/api/runs/${id}`)).json()) as Json;
        return r.status === 'succeeded' || r.status.includes('fail') ? r : null;
      },
      30_000,
      'the run after space was freed',
    );
    const attempts = run.items[0].steps.draw.attempts as Json[];
    expect({
      status: run.status,
      failed: attempts.slice(0, -1).every((a) => /disk is full|ENOSPC|no space/i.test(a.error) && a.retry_in_s > 0),
      last: attempts.at(-1)!.error,
      file: (await box.api(`/api/runs/${id}/files/${run.items[0].output.outputs.draw.file}`)).status,
    }).toEqual({ status: 'succeeded', failed: true, last: null, file: 200 });
  } finally {
    Bun.spawnSync(['umount', '-l', runsDir]);
  }
}, 120_000);
