import { describe, expect, test } from 'bun:test';
import { lookedAt, STATIONARY_AFTER, Tracker } from '../../appliance/pipeline/tracker';
import { checkGraph } from '../../appliance/pipeline/dag';
import { anchorOf, crossing, inPolygon } from '../../appliance/pipeline/geometry';
import type { Detection } from '../../appliance/inference/detect/types';

const person = (x: number, score = 0.9): Detection => ({
  label: 'person',
  classId: 0,
  score,
  box: [x, 10, x + 20, 60],
});
const opts = { highScore: 0.5, lowScore: 0.1, matchIou: 0.3, maxAge: 2, minHits: 2 };

describe('Tracker', () => {
  test('a moving object keeps one id; it is confirmed after minHits and ends after maxAge', () => {
    const t = new Tracker(opts);
    const f1 = t.update([person(0)], 1);
    const f2 = t.update([person(3)], 2);
    const f3 = t.update([person(6)], 3);
    const gone = [t.update([], 4), t.update([], 5), t.update([], 6)];
    expect([
      f1.tracked[0]!.trackId,
      f1.started.length,
      f2.tracked[0]!.trackId,
      f2.started.map((s) => s.id),
      f3.tracked[0]!.trackId,
    ]).toEqual([null, 0, 1, [1], 1]);
    expect(gone.map((g) => g.ended.map((e) => e.id))).toEqual([[], [], [1]]);
  });

  test('a weak detection keeps a track alive but does not start one', () => {
    const t = new Tracker(opts);
    t.update([person(0)], 1);
    t.update([person(2)], 2);
    const weak = t.update([person(4, 0.2), person(200, 0.2)], 3);
    expect([weak.tracked.map((d) => d.trackId), t.active.length]).toEqual([[1, null], 1]);
  });

  test('two objects far apart get two ids, and classes never mix', () => {
    const t = new Tracker({ ...opts, minHits: 1 });
    const car: Detection = { label: 'car', classId: 2, score: 0.9, box: [0, 10, 20, 60] };
    const u = t.update([person(0), person(100), car], 1);
    expect(u.tracked.map((d) => d.trackId)).toEqual([1, 2, 3]);
  });
});

describe('Tracker with gating', () => {
  test('a track the detector did not look at is held at its box, not aged; one it looked at and missed ends', () => {
    const t = new Tracker(opts);
    t.update([person(0)], 1);
    t.update([person(2)], 2);
    // Ten skipped frames (looked nowhere): still there, reported where it was, nothing ends.
    for (let i = 0; i < 10; i++) {
      const u = t.update([], 3 + i, []);
      expect([u.tracked.map((d) => [d.trackId, d.box[0]]), u.ended.length]).toEqual([[[1, 2]], 0]);
    }
    // A region elsewhere: still held. A region over it, without a detection: it ages and ends after maxAge.
    expect(t.update([], 20, [[500, 0, 900, 400]]).tracked.length).toBe(1);
    const looked = [t.update([], 21, [[0, 0, 100, 100]]), t.update([], 22, [[0, 0, 100, 100]]), t.update([], 23)];
    expect(looked.map((u) => u.ended.map((e) => e.id))).toEqual([[], [], [1]]);
  });

  test('an object that stays put becomes stationary; one that moves is not', () => {
    const t = new Tracker(opts);
    let last = t.update([person(0)], 0);
    for (let i = 1; i <= STATIONARY_AFTER + 1; i++) last = t.update([person(0)], i);
    expect(last.stationary).toBe(1);
    expect(t.update([person(5)], 99).stationary).toBe(0);
  });

  test('lookedAt: the centre of the box inside a looked region', () => {
    expect(lookedAt([0, 0, 10, 10], undefined)).toBe(true);
    expect(lookedAt([0, 0, 10, 10], [])).toBe(false);
    expect(lookedAt([0, 0, 10, 10], [[4, 4, 6, 6]])).toBe(true);
    expect(lookedAt([0, 0, 10, 10], [[6, 6, 20, 20]])).toBe(false);
  });
});
describe('checkGraph', () => {
  test('orders stages by needs, keeping file order among equals', () => {
    expect(
      checkGraph([
        { name: 'detect', needs: [] },
        { name: 'track', needs: ['detect'] },
        { name: 'embed', needs: ['detect'] },
        { name: 'store', needs: ['track', 'embed'] },
      ]),
    ).toEqual({ order: ['detect', 'track', 'embed', 'store'], problems: [] });
  });

  test('reports a missing need, a duplicate and a cycle', () => {
    expect(checkGraph([{ name: 'a', needs: ['x'] }]).problems).toEqual([
      { stage: 'a', message: "needs 'x', which is not a stage of this pipeline" },
    ]);
    expect(
      checkGraph([
        { name: 'a', needs: [] },
        { name: 'a', needs: [] },
      ]).problems[0]!.message,
    ).toBe("stage 'a' is defined twice");
    expect(
      checkGraph([
        { name: 'a', needs: ['c'] },
        { name: 'b', needs: ['a'] },
        { name: 'c', needs: ['b'] },
      ]).problems,
    ).toEqual([{ stage: 'a', message: 'cycle among stages a -> b -> c' }]);
  });
});

describe('geometry', () => {
  const square: Array<[number, number]> = [
    [0.2, 0.2],
    [0.8, 0.2],
    [0.8, 0.8],
    [0.2, 0.8],
  ];
  test('points inside and outside a polygon', () => {
    expect([inPolygon([0.5, 0.5], square), inPolygon([0.1, 0.5], square), inPolygon([0.9, 0.9], square)]).toEqual([
      true,
      false,
      false,
    ]);
  });

  test('crossing a line gives its direction; moving alongside or short of it gives 0', () => {
    const a: [number, number] = [0.5, 0];
    const b: [number, number] = [0.5, 1];
    expect([
      crossing([0.4, 0.5], [0.6, 0.5], a, b),
      crossing([0.6, 0.5], [0.4, 0.5], a, b),
      crossing([0.4, 0.5], [0.45, 0.6], a, b),
      crossing([0.4, 1.5], [0.6, 1.5], a, b),
    ]).toEqual([-1, 1, 0, 0]);
  });

  test('the anchor is the bottom centre, normalised', () => {
    expect(anchorOf([100, 50, 200, 250], 400, 500)).toEqual([0.375, 0.5]);
  });
});

import { EventEngine } from '../../appliance/pipeline/events';

describe('EventEngine', () => {
  // Frame 100x100; an object's anchor is the bottom centre of its box.
  const at = (trackId: number, x: number, y: number, label = 'person') => ({
    trackId,
    label,
    score: 0.9,
    box: [x - 5, y - 20, x + 5, y] as [number, number, number, number],
  });
  const rules = {
    zones: [
      {
        name: 'table',
        polygon: [
          [0.4, 0.4],
          [0.8, 0.4],
          [0.8, 0.8],
          [0.4, 0.8],
        ] as Array<[number, number]>,
        dwell_s: 2,
      },
    ],
    lines: [{ name: 'door', a: [0.2, 0] as [number, number], b: [0.2, 1] as [number, number], labels: ['person'] }],
    count: true,
  };

  test('a person walks in through the door, dwells at the table and walks out of view', () => {
    const e = new EventEngine(rules, { width: 100, height: 100 });
    const log = [
      e.update([at(1, 10, 50)], [], 0),
      e.update([at(1, 30, 50)], [], 1),
      e.update([at(1, 50, 60)], [], 2),
      e.update([at(1, 52, 61)], [], 3),
      e.update([at(1, 51, 60)], [], 5),
      e.update([], [1], 6),
    ].map((evs) =>
      evs.map((ev) =>
        ev.type === 'count'
          ? `count ${ev.label}=${ev.count}`
          : `${ev.type} ${'zone' in ev ? ev.zone : ev.line}${'direction' in ev ? ` ${ev.direction}` : ''}`,
      ),
    );
    expect(log).toEqual([
      ['count person=1'],
      ['cross door right_to_left'],
      ['enter table'],
      [],
      ['dwell table'],
      ['leave table', 'count person=0'],
    ]);
  });

  test('jitter on a zone edge gives one enter and one leave per track', () => {
    const e = new EventEngine({ ...rules, lines: [], count: false }, { width: 100, height: 100 });
    const evs = [39, 41, 39, 41, 39].flatMap((x, i) => e.update([at(7, x, 60)], [], i));
    expect(evs.map((ev) => ev.type)).toEqual(['enter', 'leave']);
  });

  test('a label filter keeps other classes from crossing', () => {
    const e = new EventEngine({ ...rules, zones: [], count: false }, { width: 100, height: 100 });
    const evs = [e.update([at(3, 10, 50, 'car')], [], 0), e.update([at(3, 30, 50, 'car')], [], 1)];
    expect(evs.flat()).toEqual([]);
  });
});
