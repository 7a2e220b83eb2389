/** Recording: the segment muxer's command as data, segment names back to times, and what retention deletes. */
import { describe, expect, test } from 'bun:test';
import { dayOf, recordArgs, segmentStart } from '../../appliance/record/segments';
import { toDelete, type Item, type Retain, type Segment } from '../../appliance/record/retention';
import { concatList, planClip, type StoredSegment } from '../../appliance/record/clip';

describe('recordArgs', () => {
  test('a camera: TCP input, the video copied as it is into 10 s MP4 segments named by their start', () => {
    const args = recordArgs(
      { kind: 'rtsp', url: 'rtsp://u:p@cam/stream', display: 'rtsp://cam/stream' },
      { cacheDir: '/var/lib/fovea/recordings/gate/.cache/', segmentS: 10, timeoutS: 5, loop: false },
    );
    expect(args).toEqual([
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'warning',
      '-rtsp_transport',
      'tcp',
      '-timeout',
      '5000000',
      '-fflags',
      '+discardcorrupt',
      '-use_wallclock_as_timestamps',
      '1',
      '-i',
      'rtsp://u:p@cam/stream',
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      '-c:v',
      'copy',
      '-f',
      'segment',
      '-segment_time',
      '10',
      '-segment_format',
      'mp4',
      '-reset_timestamps',
      '1',
      '-segment_format_options',
      'movflags=+faststart',
      '-strftime',
      '1',
      '/var/lib/fovea/recordings/gate/.cache/%Y%m%dT%H%M%SZ.mp4',
    ]);
  });

  test('a file always plays at its rate (segments are named by the wall clock) and may loop', () => {
    const a = recordArgs(
      { kind: 'file', path: '/clips/a.mp4', display: '/clips/a.mp4' },
      { cacheDir: '/c', segmentS: 4, timeoutS: 5, loop: true },
    );
    expect(a.slice(4, 9)).toEqual(['-re', '-stream_loop', '-1', '-i', '/clips/a.mp4']);
  });

  test('segment names give their start in UTC; other names are not segments', () => {
    expect([segmentStart('20261206T021500Z.mp4')?.toISOString(), dayOf(new Date('2026-12-06T23:59:59Z'))]).toEqual([
      '2026-12-06T02:15:00.000Z',
      '2026-12-06',
    ]);
    expect(['20261306T021500Z.mp4', 'x.mp4', '20261206T021500Z.mp4.part'].map(segmentStart)).toEqual([
      null,
      null,
      null,
    ]);
  });
});

describe('retention', () => {
  const DAY = 86_400_000;
  const now = 100 * DAY;
  const retain: Retain = { days: 2, alerts_days: 30, detections_days: 10 };
  const seg = (id: string, ageDays: number, o: Partial<Segment> = {}): Segment => ({
    id,
    stream: 'gate',
    start: now - ageDays * DAY - 10_000,
    end: now - ageDays * DAY,
    bytes: 1000,
    open: false,
    ...o,
  });
  const over = (s: Segment, o: Partial<Item>): Item => ({
    stream: 'gate',
    start: s.start + 1000,
    end: s.start + 2000,
    severity: 'detection',
    keep: false,
    ...o,
  });

  test('past their days segments go, unless an item holds them for its severity, or for ever when kept', () => {
    const old = seg('old', 3);
    const det = seg('det', 5);
    const detOld = seg('det-old', 11);
    const alert = seg('alert', 20);
    const kept = seg('kept', 400);
    const items = [over(det, {}), over(detOld, {}), over(alert, { severity: 'alert' }), over(kept, { keep: true })];
    const out = toDelete([old, det, detOld, alert, kept, seg('young', 1)], items, () => retain, now, {
      freeBytes: 1e12,
      minFreeBytes: 0,
    });
    expect(out.map((s) => s.id)).toEqual(['old', 'det-old']);
  });

  test('short of space: the oldest unprotected segments go until there is room; protected and open ones never', () => {
    const segs = [seg('a', 1.5), seg('b', 1.2), seg('c', 1.1), seg('open', 0, { open: true }), seg('held', 1.9)];
    const items = [over(segs[4]!, {})];
    const out = toDelete(segs, items, () => retain, now, { freeBytes: 500, minFreeBytes: 2200 });
    expect(out.map((s) => s.id)).toEqual(['a', 'b']);
    const all = toDelete(segs, items, () => retain, now, { freeBytes: 0, minFreeBytes: 1e9 });
    expect(all.map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('clips from segments', () => {
  const S = (i: number, gapMs = 0): StoredSegment => ({
    path: `/r/gate/2026-12-06/seg${i}.mp4`,
    start: i * 10_000 + gapMs,
    end: (i + 1) * 10_000,
  });

  test('a range across three segments: in at the first, out at the last, whole in between', () => {
    const plan = planClip([S(2), S(0), S(1), S(3)], 4_500, 27_250);
    expect(plan).toEqual({
      entries: [
        { path: '/r/gate/2026-12-06/seg0.mp4', inpoint: 4.5, outpoint: null },
        { path: '/r/gate/2026-12-06/seg1.mp4', inpoint: null, outpoint: null },
        { path: '/r/gate/2026-12-06/seg2.mp4', inpoint: null, outpoint: 7.25 },
      ],
      start: 4_500,
      end: 27_250,
      gapMs: 0,
    });
    expect(concatList(plan!)).toBe(
      "ffconcat version 1.0\nfile '/r/gate/2026-12-06/seg0.mp4'\ninpoint 4.500\nfile '/r/gate/2026-12-06/seg1.mp4'\nfile '/r/gate/2026-12-06/seg2.mp4'\noutpoint 7.250\n",
    );
  });

  test('with keyframes known, a clip says it starts at the keyframe at or before the asked start', () => {
    const segs = [{ path: '/a.mp4', start: 10_000, end: 20_000, keyframes: [0, 4.8, 9.6] }];
    expect(planClip(segs, 16_000, 19_000)!.start).toBe(14_800);
    expect(planClip(segs, 14_800, 19_000)!.start).toBe(14_800);
    expect(planClip(segs, 9_000, 19_000)!.start).toBe(10_000);
  });

  test('a range with nothing recorded is null; a gap is measured; the span is clipped to the recording', () => {
    expect([planClip([S(0)], 20_000, 30_000), planClip([S(0)], 5_000, 5_000)]).toEqual([null, null]);
    const gap = planClip([S(0), S(2, 3_000)], 0, 40_000)!;
    expect([gap.gapMs, gap.start, gap.end, gap.entries.length]).toEqual([13_000, 0, 30_000, 2]);
    expect(concatList(planClip([{ path: "/r/it's.mp4", start: 0, end: 1000 }], 0, 1000)!)).toContain(
      "file '/r/it'\\''s.mp4'",
    );
  });
});
