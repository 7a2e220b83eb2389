/**
 * A wall-clock jump while recording (issue 30). ffmpeg names segments by the wall clock, so a clock
 * set back names the next segments earlier than the last ones, or alike. Changing this machine's
 * clock would upset everything else running on it, so the jump is made in the names: real segments
 * cut by ffmpeg are put in the cache as a recorder whose clock jumped would leave them, and the real
 * maintainer indexes them into a real DuckDB. The index keeps every file once, overwrites none, and
 * never touches the file being written, which is the newest seen, not the newest by name.
 */
import { expect, test } from 'bun:test';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Db } from '../../appliance/store/duckdb';
import { migrate } from '../../appliance/store/migrate';
import { RecordingStore } from '../../appliance/store/recordings';
import { cacheOf, Maintainer } from '../../appliance/record/maintainer';
import type { Recorder } from '../../appliance/record/recorder';
import { probeSegment } from '../../appliance/decode/copy';
import { createLogger } from '../../appliance/shared/log';
import { FakeTimers } from '../../appliance/shared/timers';
import { tempDir, VIDEOS } from '../helpers/fixtures';

test('a clock set back: same and earlier names are all indexed once, nothing overwritten, the open file untouched', async () => {
  await using dir = await tempDir('fovea-clock-');
  const src = join(dir.path, 'src');
  await mkdir(src);
  const cut = Bun.spawn(
    [
      'ffmpeg',
      ...['-hide_banner', '-loglevel', 'error', '-i', join(VIDEOS, 'one-by-one-person-detection.mp4'), '-t', '8'],
      ...['-map', '0:v:0', '-c', 'copy', '-f', 'segment', '-segment_time', '2', '-reset_timestamps', '1'],
      join(src, 's%d.mp4'),
    ],
    { stderr: 'inherit' },
  );
  expect(await cut.exited).toBe(0);
  const db = await Db.open(join(dir.path, 'f.duckdb'));
  await migrate(db);
  const store = new RecordingStore(db);
  const recs = join(dir.path, 'recordings');
  const running = { running: true, holding: false, hold() {}, release() {} } as unknown as Recorder;
  const timers = new FakeTimers();
  timers.advance(Date.parse('2026-12-06T10:01:00Z'));
  const m = new Maintainer(
    {
      dir: recs,
      index: store,
      spans: async () => [],
      probe: probeSegment,
      minFreeBytes: 0,
      revision: () => null,
      timers,
      log: createLogger({ test: true }),
    },
    [
      {
        id: 'cam',
        mode: 'continuous',
        preS: 5,
        postS: 5,
        retain: { days: 30, detections_days: 30, alerts_days: 30 },
        recorder: running,
      },
    ],
  );
  await m.recover();
  const cache = cacheOf(recs, 'cam');
  const put = (n: number, name: string) => copyFile(join(src, `s${n}.mp4`), join(cache, name));
  // Before the jump: 10:00:00 and 10:00:02; then the clock goes back an hour and a second ago.
  await put(0, '20261206T100000Z.mp4');
  await put(1, '20261206T100002Z.mp4');
  await m.pass();
  await put(2, '20261206T100000Z.mp4'); // the same name as a kept one
  await m.pass();
  await put(3, '20261206T090000Z.mp4'); // earlier than all: being written now
  await Bun.write(join(cache, '20261206T090000Z.mp4'), new Uint8Array(1000)); // still growing: not a whole MP4
  await m.pass();
  const rows = await db.all<{ id: string; start_ts: Date }>('SELECT id, start_ts FROM recording_segments ORDER BY id');
  expect(rows.map((r) => r.id)).toEqual([
    'cam/2026-12-06/20261206T100000Z-1.mp4',
    'cam/2026-12-06/20261206T100000Z.mp4',
    'cam/2026-12-06/20261206T100002Z.mp4',
  ]);
  // The second follows the first on, so starts where it ended (its first cut segment lasts 2.1 s);
  // the same name after the jump does not follow on, and starts at its name.
  expect(rows.map((r) => r.start_ts.toISOString())).toEqual([
    '2026-12-06T10:00:00.000Z',
    '2026-12-06T10:00:00.000Z',
    '2026-12-06T10:00:02.100Z',
  ]);
  // Three files kept, each whole; the one being written is still in the cache, untouched.
  expect((await readdir(join(recs, 'cam', '2026-12-06'))).sort()).toEqual([
    '20261206T100000Z-1.mp4',
    '20261206T100000Z.mp4',
    '20261206T100002Z.mp4',
  ]);
  expect(await readdir(cache)).toEqual(['20261206T090000Z.mp4']);
  expect(Bun.file(join(cache, '20261206T090000Z.mp4')).size).toBe(1000);
  db.close();
}, 60_000);
