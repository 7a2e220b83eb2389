/**
 * Recording by stream copy with real ffmpeg (the groundwork of issue 30): the car park clip played
 * at its rate, as a camera would, written as 4 s segments; ffmpeg killed mid-segment; the complete
 * segments probed (the killed one does not probe and is left out); a clip of a range cut across
 * them by stream copy, which ffprobe reads with the asked length (plus at most a GOP before it).
 */
import { expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { recordArgs, segmentStart } from '../../appliance/record/segments';
import { clipArgs, concatList, planClip, type StoredSegment } from '../../appliance/record/clip';
import { tempDir, VIDEOS, waitFor } from '../helpers/fixtures';
import { probeVideo as probe } from '../helpers/media';

test('segments by stream copy; a killed recorder loses only the segment it was writing; a clip of any range', async () => {
  await using dir = await tempDir('fovea-record-');
  const cache = join(dir.path, '.cache');
  await Bun.write(join(cache, '.keep'), '');
  const rec = Bun.spawn(
    [
      'ffmpeg',
      ...recordArgs(
        { kind: 'file', path: join(VIDEOS, 'car-detection.mp4'), display: 'car' },
        { cacheDir: cache, segmentS: 4, timeoutS: 5, loop: true },
      ),
    ],
    { stdout: 'ignore', stderr: 'ignore' },
  );
  const names = () => readdirSync(cache).filter((n) => segmentStart(n));
  try {
    // Three complete segments and a fourth being written.
    await waitFor(() => names().length >= 4, 60_000, 'four segments');
  } finally {
    rec.kill('SIGKILL');
    await rec.exited;
  }
  const found = names().sort();
  const probed = await Promise.all(found.map((n) => probe(join(cache, n))));
  // The segment being written when ffmpeg was killed has no index: it does not probe.
  expect(probed.slice(0, -1).every((p) => p !== null && p.codec === 'h264' && p.duration >= 4)).toBe(true);
  expect(probed.at(-1)).toBeNull();
  const segments: StoredSegment[] = found.slice(0, -1).map((n, i) => {
    const start = segmentStart(n)!.getTime();
    return { path: join(cache, n), start, end: start + probed[i]!.duration * 1000 };
  });
  const from = segments[0]!.start + 2_000;
  const to = from + 7_000;
  const plan = planClip(segments, from, to)!;
  expect(plan.entries.length).toBeGreaterThanOrEqual(2);
  const list = join(dir.path, 'clip.txt');
  await Bun.write(list, concatList(plan));
  const out = join(dir.path, 'clip.mp4');
  const cut = Bun.spawn(['ffmpeg', ...clipArgs(list, out)], { stdout: 'ignore', stderr: 'pipe' });
  const err = await new Response(cut.stderr).text();
  expect([await cut.exited, err]).toEqual([0, '']);
  const clip = await probe(out);
  console.log(
    `recording: ${segments.length} segments of ${segments.map((s) => ((s.end - s.start) / 1000).toFixed(1)).join(', ')} s; clip of 7 s: ${clip?.duration} s`,
  );
  // Stream copy starts at the keyframe at or before the asked start: up to a GOP (here 2.4 s) more.
  expect(clip?.duration).toBeGreaterThanOrEqual(6.5);
  expect(clip?.duration).toBeLessThanOrEqual(7 + 3);
}, 90_000);
