/**
 * Live video, in parts: the fMP4 reading against real ffmpeg output (a keyframe every 8.4 s, fragments
 * every 200 ms, so most fragments do not start on one), and the relay's rules (shared process, late
 * joiners start on a keyframe, a slow viewer skips, the cap, the stop after the last viewer) with a
 * scripted process and fake time.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { BoxSplitter, FragmentAssembler, type Piece } from '../../appliance/decode/fmp4';
import { remuxArgs } from '../../appliance/decode/ffmpeg-args';
import type { RemuxHandlers, SpawnRemux } from '../../appliance/decode/remux';
import { LIVE_CLOSE, LiveVideo, type Viewer } from '../../appliance/ingest/live-video';
import { FakeTimers } from '../../appliance/shared/timers';
import { configureLogs, createLogger } from '../../appliance/shared/log';
import { SHARED } from '../helpers/fixtures';
configureLogs({ level: 'error' });

const BOTTLE = join(SHARED, 'media/videos/bottle-detection.mp4');

async function remuxed(path: string, seconds: number): Promise<Uint8Array> {
  const args = remuxArgs(
    { kind: 'file', path, display: path },
    { seekS: null, loop: false, timeoutS: 5, fragmentMs: 200 },
  );
  const re = args.indexOf('-re');
  args.splice(re, 1, '-t', String(seconds));
  const p = Bun.spawn(['ffmpeg', ...args], { stdout: 'pipe', stderr: 'pipe' });
  const bytes = new Uint8Array(await new Response(p.stdout).arrayBuffer());
  expect(await p.exited).toBe(0);
  return bytes;
}

describe('fragmented MP4 from ffmpeg', () => {
  test('cut in odd chunks: one init with the H.264 codec string, then fragments; keyframes where ffprobe puts them', async () => {
    const bytes = await remuxed(BOTTLE, 10);
    const boxes = new BoxSplitter();
    const asm = new FragmentAssembler();
    const pieces: Piece[] = [];
    const types = new Set<string>();
    let boxBytes = 0;
    for (let at = 0; at < bytes.length; at += 777)
      for (const b of boxes.push(bytes.subarray(at, at + 777))) {
        types.add(b.type);
        boxBytes += b.bytes.length;
        const p = asm.push(b);
        if (p) pieces.push(p);
      }
    expect(boxBytes).toBe(bytes.length);
    expect([...types].sort()).toEqual(['ftyp', 'mdat', 'mfra', 'moof', 'moov']);
    // Everything but the random-access index ffmpeg writes at the very end goes to viewers.
    expect(pieces.reduce((n, p) => n + p.bytes.length, 0)).toBeGreaterThan(bytes.length - 2000);
    const [init, ...frags] = pieces;
    expect(init?.kind).toBe('init');
    if (init?.kind !== 'init') return;
    // ffprobe: High profile (0x64), level 3.0 (0x1e), 640x360.
    expect(init.info).toMatchObject({ format: 'avc1', codec: 'avc1.64001e', width: 640, height: 360 });
    // 10 s at 30 fps in 200 ms fragments, cut at the keyframes of 0 s and 8.38 s.
    expect(frags.length).toBeGreaterThan(40);
    const keys = frags.flatMap((f, i) => (f.kind === 'fragment' && f.key ? [i] : []));
    expect(keys.length).toBe(2);
    expect(keys[0]).toBe(0);
  });

  test('a box that claims less than its header is an error, not a hang', () => {
    const bad = new Uint8Array([0, 0, 0, 3, 0x6d, 0x6f, 0x6f, 0x66]);
    expect(() => new BoxSplitter().push(bad)).toThrow(/malformed MP4 box 'moof'/);
  });
});

/** A scripted remux process: the test hands it pieces and ends it. */
function fakeSpawn() {
  const procs: Array<{ args: string[]; h: RemuxHandlers; killed: boolean }> = [];
  return {
    procs,
    spawn: (args: string[], h: RemuxHandlers) => {
      const p = { args, h, killed: false };
      procs.push(p);
      const kill = () => {
        p.killed = true;
      };
      return { kill, pid: procs.length };
    },
  };
}

function viewer(buffered = () => 0) {
  const got: Array<Uint8Array | string> = [];
  const closed: Array<[number, string]> = [];
  const v: Viewer = { send: (d) => void got.push(d), buffered, close: (c, r) => void closed.push([c, r]) };
  return { v, got, closed, frames: () => got.filter((d) => typeof d !== 'string').map((d) => (d as Uint8Array)[0]) };
}

const INFO = { format: 'avc1', codec: 'avc1.4d401f', width: 768, height: 432, defaultSampleFlags: 0 };
const init: Piece = { kind: 'init', bytes: new Uint8Array([100]), info: INFO };
const frag = (n: number, key: boolean): Piece => ({ kind: 'fragment', bytes: new Uint8Array([n]), key });
const camera = () => ({
  source: { kind: 'rtsp' as const, url: 'rtsp://127.0.0.1:554/x', display: 'rtsp://127.0.0.1:554/x' },
  positionS: null,
  loop: false,
  timeoutS: 5,
});

function relay(o: { max?: number; maxBuffer?: number; spawn?: SpawnRemux } = {}) {
  const timers = new FakeTimers();
  const f = fakeSpawn();
  const live = new LiveVideo({
    spawn: o.spawn ?? f.spawn,
    probeDurationS: async () => 139.3,
    timers,
    log: createLogger(),
    maxViewersPerStream: o.max ?? 4,
    maxBufferBytes: o.maxBuffer ?? 1000,
    idleStopMs: 2000,
    fragmentMs: 200,
  });
  return { live, timers, ...f };
}

describe('the live video relay', () => {
  test('viewers share one process; a late joiner gets the init, then starts on the next keyframe', async () => {
    const { live, procs } = relay();
    const a = viewer();
    await live.watch('cam', camera, a.v);
    expect(procs).toHaveLength(1);
    const p = procs[0]!;
    p.h.piece(init);
    p.h.piece(frag(1, true));
    p.h.piece(frag(2, false));
    const b = viewer();
    await live.watch('cam', camera, b.v);
    expect(procs).toHaveLength(1);
    p.h.piece(frag(3, false));
    p.h.piece(frag(4, true));
    p.h.piece(frag(5, false));
    expect(a.frames()).toEqual([100, 1, 2, 3, 4, 5]);
    expect(b.frames()).toEqual([100, 4, 5]);
    expect(JSON.parse(b.got[0] as string)).toEqual({
      type: 'init',
      mime: 'video/mp4; codecs="avc1.4d401f"',
      width: 768,
      height: 432,
    });
    expect(live.stats()).toMatchObject({ viewers: 2, processes: 1, watched_streams: 1 });
  });

  test('a viewer that falls behind skips to a keyframe once drained; the other is not held back', async () => {
    const { live, procs } = relay({ maxBuffer: 1000 });
    let backlog = 0;
    const slow = viewer(() => backlog);
    const fast = viewer();
    await live.watch('cam', camera, slow.v);
    await live.watch('cam', camera, fast.v);
    const p = procs[0]!;
    p.h.piece(init);
    p.h.piece(frag(1, true));
    backlog = 5000;
    p.h.piece(frag(2, false));
    backlog = 0;
    p.h.piece(frag(3, false));
    p.h.piece(frag(4, true));
    expect(slow.frames()).toEqual([100, 1, 4]);
    expect(fast.frames()).toEqual([100, 1, 2, 3, 4]);
  });

  test('the viewer over the cap is closed with the reason; the process stops 2 s after the last viewer leaves', async () => {
    const { live, procs, timers } = relay({ max: 2 });
    const leaveA = await live.watch('cam', camera, viewer().v);
    const leaveB = await live.watch('cam', camera, viewer().v);
    const c = viewer();
    await live.watch('cam', camera, c.v);
    expect(c.closed).toEqual([[LIVE_CLOSE.full, '2 people are watching cam already (the limit per stream)']]);
    leaveA();
    leaveB();
    timers.advance(1999);
    expect(procs[0]!.killed).toBe(false);
    // A reload within the grace keeps the process.
    const leaveD = await live.watch('cam', camera, viewer().v);
    timers.advance(5000);
    expect(procs[0]!.killed).toBe(false);
    leaveD();
    timers.advance(2000);
    expect(procs[0]!.killed).toBe(true);
    expect(live.stats()).toMatchObject({ viewers: 0, processes: 0, watched_streams: 0, started: 1 });
  });

  test('a codec browsers cannot play closes viewers with why; a source that ends closes them too', async () => {
    const { live, procs } = relay();
    const a = viewer();
    await live.watch('cam', camera, a.v);
    procs[0]!.h.piece({ ...init, info: { ...INFO, format: 'hvc1', codec: null } });
    expect(a.closed[0]![0]).toBe(LIVE_CLOSE.unplayable);
    expect(a.closed[0]![1]).toContain('hvc1');
    expect(procs[0]!.killed).toBe(true);
    const b = viewer();
    await live.watch('cam', camera, b.v);
    procs[1]!.h.exit({ code: 1, stderr: ['Connection refused'] });
    expect(b.closed).toEqual([[LIVE_CLOSE.ended, 'the video source ended (ffmpeg exit 1: Connection refused)']]);
    expect(live.stats().watched_streams).toBe(0);
  });

  test('a process that cannot start closes its viewers with why and leaves nothing behind', async () => {
    const { live } = relay({
      spawn: () => {
        throw new Error('Executable not found in $PATH: "nice"');
      },
    });
    const a = viewer();
    await live.watch('cam', camera, a.v);
    expect(a.closed).toEqual([[LIVE_CLOSE.ended, 'live video could not start: Executable not found in $PATH: "nice"']]);
    expect(live.stats()).toMatchObject({ viewers: 0, processes: 0, watched_streams: 0 });
  });

  test('a file starts where the analysis is, within the file (it loops)', async () => {
    const { live, procs } = relay();
    const file = () => ({
      source: { kind: 'file' as const, path: '/v/person.mp4', display: '/v/person.mp4' },
      positionS: 300,
      loop: true,
      timeoutS: 5,
    });
    await live.watch('person', file, viewer().v);
    const args = procs[0]!.args;
    expect(args.slice(args.indexOf('-ss'), args.indexOf('-ss') + 2)).toEqual(['-ss', (300 - 2 * 139.3).toFixed(3)]);
    expect(args).toContain('-stream_loop');
    expect(args.slice(args.indexOf('-c:v'), args.indexOf('-c:v') + 2)).toEqual(['-c:v', 'copy']);
  });
});
