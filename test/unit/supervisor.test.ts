import { describe, expect, test } from 'bun:test';
import { Supervisor } from '../../appliance/decode/supervisor';
import { nvdecFailure } from '../../appliance/decode/ffmpeg-args';
import type { DecoderHandlers, SpawnDecoder } from '../../appliance/decode/ffmpeg';
import { FakeTimers } from '../../appliance/shared/timers';
import { DropOldestQueue } from '../../appliance/pipeline/queue';
import { createLogger, configureLogs } from '../../appliance/shared/log';

configureLogs({ level: 'error' });

/** A fake ffmpeg: the test decides when it sends frames and how it dies. */
function fakeSpawn() {
  const runs: Array<{ h: DecoderHandlers; killed: boolean; args: string[] }> = [];
  const spawn: SpawnDecoder = (args, _bytes, h) => {
    const run = { h, killed: false, args };
    runs.push(run);
    return {
      pid: runs.length,
      kill: () => {
        run.killed = true;
      },
    };
  };
  const frame = () => runs.at(-1)!.h.frame({ pixels: new Uint8Array(1), n: 0, ptsS: 0 });
  const die = (stderr: string[], code = 1) => runs.at(-1)!.h.exit({ code, signal: null, stderr, partialBytes: 0 });
  return { spawn, runs, frame, die };
}

function make(finite = false) {
  const t = new FakeTimers();
  const f = fakeSpawn();
  const frames: number[] = [];
  const s = new Supervisor(
    { args: [], frameBytes: 1, stallS: 10, finite, missingIsFinal: finite },
    f.spawn,
    () => {
      frames.push(t.now());
    },
    () => undefined,
    () => undefined,
    t,
    createLogger(),
  );
  return { t, f, s, frames };
}

describe('Supervisor', () => {
  test('connecting -> running on the first frame; a crash backs off 1, 2, 5 s and restarts', () => {
    const { t, f, s } = make();
    s.start();
    const seen = [s.status.state];
    f.frame();
    seen.push(s.status.state);
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      f.die(['Connection refused']);
      seen.push(s.status.state);
      const before = f.runs.length;
      const t0 = t.now();
      while (f.runs.length === before) t.advance(100);
      delays.push((t.now() - t0) / 1000);
    }
    expect([seen, delays, s.status.restarts, s.status.last_error]).toEqual([
      ['connecting', 'running', 'backoff', 'backoff', 'backoff'],
      [1, 2, 5],
      3,
      'unreachable: Connection refused',
    ]);
  });

  test('wrong credentials: state unauthorized with the server answer, retried after 60 s, not in a loop', () => {
    const { t, f, s } = make();
    s.start();
    f.die(['[rtsp @ 0x5] method DESCRIBE failed: 401 Unauthorized']);
    const state = [s.status.state, s.status.last_error];
    t.advance(59_000);
    const before = f.runs.length;
    t.advance(1_000);
    expect([state, before, f.runs.length]).toEqual([['unauthorized', 'unauthorized: 401 Unauthorized'], 1, 2]);
  });

  test('a stall (no frame for stall_s) kills the decoder and restarts it', () => {
    const { t, f, s } = make();
    s.start();
    f.frame();
    t.advance(11_000);
    expect([f.runs[0]!.killed, s.status.state, s.status.last_error]).toEqual([
      true,
      'backoff',
      'stalled: no frame for 10 s',
    ]);
    t.advance(1_000);
    expect(f.runs.length).toBe(2);
  });

  test('a finite file that ends stops; stop() kills and never restarts', () => {
    const a = make(true);
    a.s.start();
    a.f.frame();
    a.f.die([], 0);
    expect(a.s.status.state).toBe('stopped');
    const b = make();
    b.s.start();
    b.s.stop();
    b.t.advance(120_000);
    expect([b.f.runs[0]!.killed, b.f.runs.length, b.s.status.state]).toEqual([true, 1, 'stopped']);
  });

  test('after a healthy run, the backoff schedule starts again at 1 s', () => {
    const { t, f, s } = make();
    s.start();
    f.die(['x']);
    t.advance(1_000);
    f.die(['x']);
    t.advance(2_000);
    for (let i = 0; i < 7; i++) {
      f.frame();
      t.advance(5_000);
    }
    expect(f.runs.length).toBe(3);
    f.die(['x']);
    expect(s.status.next_retry_at).toBe(new Date(t.now() + 1000).toISOString());
  });
});

describe('Supervisor with NVDEC', () => {
  /** What ffmpeg 5.1 prints with -hwaccel cuda on a box without a GPU (recorded here). */
  const NO_GPU = [
    '[AVHWDeviceContext @ 0x55ed5fb6dfc0] Cannot load libcuda.so.1',
    '[AVHWDeviceContext @ 0x55ed5fb6dfc0] Could not dynamically load CUDA',
    'Device creation failed: -1.',
    '[h264 @ 0x55ed5fb546c0] No device available for decoder: device type cuda needed for codec h264.',
    'Device setup failed for decoder on input stream #0:0 : Operation not permitted',
  ];
  const start = () => {
    const t = new FakeTimers();
    const f = fakeSpawn();
    const s = new Supervisor(
      {
        args: ['nvdec'],
        frameBytes: 1,
        stallS: 10,
        finite: false,
        missingIsFinal: false,
        nvdec: { cpuArgs: ['cpu'], why: nvdecFailure },
      },
      f.spawn,
      () => undefined,
      () => undefined,
      () => undefined,
      t,
      createLogger(),
    );
    s.start();
    return { t, f, s };
  };

  test('a GPU that cannot decode: at once on the CPU, for good, and the status says why', () => {
    const { t, f, s } = start();
    const before = s.status.decoder;
    f.die(NO_GPU);
    const after = { decoder: s.status.decoder, note: s.status.decoder_note, state: s.status.state };
    f.frame();
    // A later failure on the CPU is an ordinary one: backoff, and the CPU again.
    f.die(['Connection refused']);
    t.advance(1_000);
    expect({ before, after, args: f.runs.map((r) => r.args[0]), state: s.status.state }).toEqual({
      before: 'nvdec',
      after: {
        decoder: 'cpu',
        note: 'NVDEC could not be used (Cannot load libcuda.so.1): decoding on the CPU',
        state: 'connecting',
      },
      args: ['nvdec', 'cpu', 'cpu'],
      state: 'connecting',
    });
  });

  test('an exit for another reason keeps NVDEC', () => {
    const { t, f, s } = start();
    f.die(['[rtsp @ 0x5] method DESCRIBE failed: 401 Unauthorized']);
    t.advance(60_000);
    expect([s.status.decoder, s.status.state, f.runs.map((r) => r.args[0])]).toEqual([
      'nvdec',
      'connecting',
      ['nvdec', 'nvdec'],
    ]);
  });
});

describe('DropOldestQueue', () => {
  test('drops the oldest when full and counts it; take waits for the next item', async () => {
    const q = new DropOldestQueue<number>(2);
    for (const n of [1, 2, 3, 4]) q.push(n);
    const got = [await q.take(), await q.take()];
    const pending = q.take();
    q.push(5);
    q.close();
    expect([got, await pending, q.dropped, await q.take()]).toEqual([[3, 4], 5, 2, null]);
  });
});

test('pushWait holds the producer while the queue is full, and loses nothing', async () => {
  const q = new DropOldestQueue<number>(1);
  await q.pushWait(1);
  let second = false;
  const p = q.pushWait(2).then(() => {
    second = true;
  });
  await Promise.resolve();
  const before = second;
  const a = await q.take();
  await p;
  expect([before, a, await q.take(), q.dropped]).toEqual([false, 1, 2, 0]);
});

test('a missing file fails for good; a camera 404 keeps retrying', () => {
  const file = make(true);
  file.s.start();
  file.f.die(['/videos/gone.mp4: No such file or directory']);
  file.t.advance(120_000);
  const cam = make(false);
  cam.s.start();
  cam.f.die(['method DESCRIBE failed: 404 Not Found']);
  expect([file.s.status.state, file.s.status.last_error, file.f.runs.length, cam.s.status.state]).toEqual([
    'failed',
    'not_found: /videos/gone.mp4: No such file or directory',
    1,
    'backoff',
  ]);
});

test('the end of a finite file is signalled once; a crash of a live source is not an end', () => {
  const t = new FakeTimers();
  const f = fakeSpawn();
  let ended = 0;
  const file = new Supervisor(
    { args: [], frameBytes: 1, stallS: 10, finite: true, missingIsFinal: true },
    f.spawn,
    () => undefined,
    () => undefined,
    () => {
      ended++;
    },
    t,
    createLogger(),
  );
  file.start();
  f.frame();
  f.die([], 0);
  const live = new Supervisor(
    { args: [], frameBytes: 1, stallS: 10, finite: false, missingIsFinal: false },
    f.spawn,
    () => undefined,
    () => undefined,
    () => {
      ended += 10;
    },
    t,
    createLogger(),
  );
  live.start();
  f.die(['Connection refused']);
  expect(ended).toBe(1);
});
