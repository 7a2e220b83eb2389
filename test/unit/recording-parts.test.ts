/** Recording's pure parts: HTTP ranges, cache triage, free names, the probe's reading, the recorder's states with a fake ffmpeg. */
import { describe, expect, test } from 'bun:test';
import { parseRange } from '../../appliance/api/range';
import { ANALYSIS_LAG_MS, triage } from '../../appliance/record/retention';
import { freeName, segmentStart } from '../../appliance/record/segments';
import { parseSegmentProbe, type CopyProcess } from '../../appliance/decode/copy';
import { Recorder } from '../../appliance/record/recorder';
import { FakeTimers } from '../../appliance/shared/timers';
import { createLogger } from '../../appliance/shared/log';

describe('parseRange', () => {
  test('one range of the three forms, clipped to the file; none or garbage is the whole file', () => {
    expect([
      parseRange('bytes=0-99', 1000),
      parseRange('bytes=900-', 1000),
      parseRange('bytes=-10', 1000),
      parseRange('bytes=990-2000', 1000),
      parseRange(null, 1000),
      parseRange('bytes=0-1,5-9', 1000),
      parseRange('items=0-1', 1000),
    ]).toEqual([
      { start: 0, end: 99 },
      { start: 900, end: 999 },
      { start: 990, end: 999 },
      { start: 990, end: 999 },
      null,
      null,
      null,
    ]);
  });

  test('a start past the end, an end before the start, an empty suffix: unsatisfiable', () => {
    expect([parseRange('bytes=1000-', 1000), parseRange('bytes=9-3', 1000), parseRange('bytes=-0', 1000)]).toEqual([
      'unsatisfiable',
      'unsatisfiable',
      'unsatisfiable',
    ]);
  });
});

describe('triage of a cache segment', () => {
  const now = 1_000_000;
  const seg = { start: now - 60_000, end: now - 50_000 };
  test('continuous keeps all; events keeps what overlaps an item window, drops the rest once no item can want it', () => {
    expect(triage(seg, 'continuous', [], now, 5)).toBe('keep');
    expect(triage(seg, 'events', [{ start: now - 52_000, end: now }], now, 5)).toBe('keep');
    expect(triage(seg, 'events', [], now, 5)).toBe('drop');
    const recent = { start: now - 20_000, end: now - 10_000 };
    expect(recent.end).toBeGreaterThan(now - 5000 - ANALYSIS_LAG_MS);
    expect(triage(recent, 'events', [], now, 5)).toBe('wait');
  });
});

describe('segment names', () => {
  test('a name taken (the clock was set back) gets the first free -n, which still parses to its start', () => {
    const taken = new Set(['20261206T010000Z.mp4', '20261206T010000Z-1.mp4']);
    const n = freeName('20261206T010000Z.mp4', (x) => taken.has(x));
    expect(n).toBe('20261206T010000Z-2.mp4');
    expect(segmentStart(n)?.toISOString()).toBe('2026-12-06T01:00:00.000Z');
    expect(freeName('20261206T020000Z.mp4', (x) => taken.has(x))).toBe('20261206T020000Z.mp4');
  });
});

describe('parseSegmentProbe', () => {
  test("a whole segment: duration, codec, size and its keyframes' times; a cut one is null", () => {
    const whole = JSON.stringify({
      packets: [
        { pts_time: '0.000000', flags: 'K__' },
        { pts_time: '0.100000', flags: '___' },
        { pts_time: '1.000000', flags: 'K__' },
      ],
      streams: [{ codec_name: 'h264', width: 768, height: 432 }],
      format: { duration: '2.000000' },
    });
    expect(parseSegmentProbe(whole)).toEqual({
      durationS: 2,
      codec: 'h264',
      width: 768,
      height: 432,
      keyframes: [0, 1],
    });
    expect(parseSegmentProbe('{}')).toBeNull();
    expect(parseSegmentProbe('not json')).toBeNull();
    expect(
      parseSegmentProbe(JSON.stringify({ streams: [{ codec_name: 'h264' }], format: { duration: '2' } })),
    ).toBeNull();
  });
});

describe('Recorder', () => {
  function fake() {
    const procs: Array<{ args: string[]; exit: (code: number, stderr: string[]) => void; killed: string[] }> = [];
    const spawn = (args: string[]): CopyProcess => {
      let exit!: (x: { code: number | null; stderr: string[] }) => void;
      const exited = new Promise<{ code: number | null; stderr: string[] }>((r) => {
        exit = r;
      });
      const p = { args, killed: [] as string[], exit: (code: number, stderr: string[]) => exit({ code, stderr }) };
      procs.push(p);
      return {
        pid: procs.length,
        exited,
        kill: (sig = 'SIGKILL') => {
          p.killed.push(sig);
          exit({ code: null, stderr: [] });
        },
      };
    };
    return { procs, spawn };
  }
  const log = createLogger({ test: true });
  const tick = () => new Promise((r) => setTimeout(r, 0));

  test('a camera that drops: backoff, then recording again; a full disk holds it until released', async () => {
    const timers = new FakeTimers();
    const { procs, spawn } = fake();
    const r = new Recorder({ stream: 'gate', args: ['-i', 'x'], finite: false }, { spawn, timers, log });
    r.start();
    expect([r.status.state, procs.length]).toEqual(['recording', 1]);
    procs[0]!.exit(1, ['rtsp://cam: Connection refused']);
    await tick();
    expect([r.status.state, r.status.last_error, r.status.restarts]).toEqual([
      'backoff',
      'rtsp://cam: Connection refused',
      1,
    ]);
    timers.advance(1000);
    expect([r.status.state, procs.length]).toEqual(['recording', 2]);
    procs[1]!.exit(1, ['[segment] No space left on device']);
    await tick();
    expect([r.status.state, r.holding]).toEqual(['disk_full', true]);
    timers.advance(120_000);
    expect(procs.length).toBe(2);
    r.release();
    expect([r.status.state, procs.length]).toEqual(['recording', 3]);
    r.hold('under 1 GB free');
    expect([r.status.state, procs[2]!.killed]).toEqual(['disk_full', ['SIGKILL']]);
  });

  test('stop asks ffmpeg to finish its segment (SIGINT); a file that ends without loop is ended', async () => {
    const timers = new FakeTimers();
    const { procs, spawn } = fake();
    const r = new Recorder({ stream: 'f', args: [], finite: true }, { spawn, timers, log });
    r.start();
    procs[0]!.exit(0, []);
    await tick();
    expect(r.status.state).toBe('ended');
    const r2 = new Recorder({ stream: 'g', args: [], finite: false }, { spawn, timers, log });
    r2.start();
    await r2.stop();
    expect([r2.status.state, procs[1]!.killed]).toEqual(['stopped', ['SIGINT']]);
  });
});
