/**
 * The shadow's parts: boxes matched one to one within a class, events gained and lost, segments of
 * the sample, and the runner's promise to the live pipeline: an offer never waits, a full queue or
 * a live backlog sheds, and only frames both sides finished are compared.
 */
import { describe, expect, test } from 'bun:test';
import { addFrame, compare, emptyTally, gainedLost, matchBoxes, sampled } from '../../appliance/shadow/compare';
import { ShadowRunner } from '../../appliance/shadow/runner';
import type { RunningPipeline } from '../../appliance/pipeline/compile';
import { emptyFrame, type Frame } from '../../appliance/pipeline/types';
import { letterboxOf } from '../../appliance/inference/detect/types';
import { createLogger } from '../../appliance/shared/log';
import { realTimers } from '../../appliance/shared/timers';

const det = (label: string, box: number[]) => ({ label, box });

describe('shadow comparison', () => {
  test('boxes match one to one within their class, best IoU first, at IoU >= 0.5', () => {
    const live = [det('person', [0, 0, 10, 10]), det('person', [20, 0, 30, 10]), det('car', [0, 0, 10, 10])];
    const shadow = [det('person', [0, 0, 10, 9]), det('person', [1, 0, 11, 10]), det('dog', [0, 0, 10, 10])];
    const m = matchBoxes(live, shadow);
    // The two shadow persons both overlap the first live one: one pairs with it (IoU 0.9), the other is left.
    expect([m.pairs.map((v) => Math.round(v * 100) / 100), m.liveOnly, m.shadowOnly]).toEqual([[0.9], 2, 2]);
  });

  test('a tally reports classes on each side, agreement, mean IoU, and events gained and lost', () => {
    const t = emptyTally();
    addFrame(
      t,
      { detections: [det('person', [0, 0, 10, 10])], events: [{ type: 'enter', label: 'person' }], ms: 10 },
      { detections: [det('person', [0, 0, 10, 10]), det('car', [50, 50, 60, 60])], events: [], ms: 30 },
    );
    addFrame(
      t,
      { detections: [], events: [], ms: 0 },
      { detections: [], events: [{ type: 'leave', label: 'car' }], ms: 0 },
      true,
    );
    expect(compare(t)).toEqual({
      frames: 1,
      detections: { live: { person: 1 }, shadow: { person: 1, car: 1 } },
      events: {
        live: { 'enter person': 1 },
        shadow: { 'leave car': 1 },
        gained: { 'leave car': 1 },
        lost: { 'enter person': 1 },
      },
      boxes: { matched: 1, live_only: 0, shadow_only: 1, agreement: 0.667, mean_iou: 1 },
      ms_per_frame: { live: 10, shadow: 30 },
    });
    expect(gainedLost({ a: 2, b: 1 }, { a: 2, c: 3 })).toEqual({ gained: { c: 3 }, lost: { b: 1 } });
  });

  test('a sample runs whole segments: 0.25 of 10 s segments is on for 10 s of every 40', () => {
    const at = (s: number) => sampled(s * 1000, 0.25, 10);
    expect([0, 9.9, 10, 39.9, 40, 49.9, 50].map((s) => at(s))).toEqual([
      { on: true, segment: 0 },
      { on: true, segment: 0 },
      { on: false, segment: 0 },
      { on: false, segment: 0 },
      { on: true, segment: 1 },
      { on: true, segment: 1 },
      { on: false, segment: 1 },
    ]);
    expect(sampled(123_456, 1, 10).on).toBe(true);
  });
});

/** A pipeline whose frames wait until the test lets them through; each finds one person. */
function gatedPipeline() {
  const gates: Array<() => void> = [];
  let made = 0;
  const make = async (): Promise<RunningPipeline> => {
    made++;
    return {
      pipeline: { name: 'candidate' } as RunningPipeline['pipeline'],
      timings: { detect: 1 },
      async run(frame: Frame) {
        await new Promise<void>((r) => gates.push(r));
        frame.detections.push({ label: 'person', classId: 0, score: 0.9, box: [0, 0, 10, 10] });
      },
      async close() {},
    };
  };
  return { make, gates, made: () => made };
}

const frameAt = (seq: number, at: number): Frame =>
  emptyFrame({
    stream: 'door',
    seq,
    ptsS: seq,
    decodedAt: at,
    width: 4,
    height: 4,
    pixfmt: 'rgb24',
    pixels: new Uint8Array(48),
    letterbox: letterboxOf(4, 4, 4, 4, 'top-left'),
  });

describe('ShadowRunner', () => {
  test('an offer never waits: past its queue, and whenever the live queue is behind, frames are shed', async () => {
    const p = gatedPipeline();
    const runner = new ShadowRunner({
      stream: 'door',
      config: { pipeline: 'candidate', overrides: {}, sample: 1, segment_s: 60, window_s: 3600, queue: 2 },
      make: p.make,
      livePipeline: 'people',
      liveRevision: () => 'abc',
      shadowRevision: 'abc',
      timers: realTimers,
      log: createLogger({ test: true }),
    });
    const frames = [1, 2, 3, 4, 5].map((n) => frameAt(n, 1000 + n));
    runner.offer(frames[0]!, false);
    await Bun.sleep(5);
    const t0 = performance.now();
    for (const f of frames.slice(1, 4)) runner.offer(f, false);
    runner.offer(frames[4]!, true);
    expect(performance.now() - t0).toBeLessThan(50);
    // Frame 1 went into the pipeline at once, 2 and 3 wait; 4 found the queue full, 5 came with a backlog.
    await Bun.sleep(10);
    expect(runner.report().frames).toEqual({ offered: 5, analysed: 0, shed: 2, failed: 0, queued: 3 });
    // The live side finishes every frame; only frames both sides finished are compared.
    for (const f of frames) {
      f.detections.push({ label: 'person', classId: 0, score: 0.5, box: [0, 0, 10, 10] });
      f.tracked.push({ label: 'person', classId: 0, score: 0.5, box: [0, 0, 10, 10], trackId: 1 });
      runner.done(f, 5, { detect: 4 });
    }
    while (runner.report().frames.queued > 0) {
      p.gates.shift()?.();
      await Bun.sleep(1);
    }
    const r = runner.report();
    expect([r.frames, r.total.frames, r.total.boxes.matched, r.total.detections, p.made()]).toEqual([
      { offered: 5, analysed: 3, shed: 2, failed: 0, queued: 0 },
      3,
      3,
      { live: { person: 3 }, shadow: { person: 3 } },
      1,
    ]);
    expect([r.live, r.shadow.revision, r.stage_ms]).toEqual([
      { pipeline: 'people', revision: 'abc' },
      'abc',
      { live: { detect: 4 }, shadow: { detect: 1 } },
    ]);
    await runner.close();
    expect(runner.isClosed).toBe(true);
  });
});
