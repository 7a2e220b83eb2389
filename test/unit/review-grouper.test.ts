import { describe, expect, test } from 'bun:test';
import { ReviewGrouper, type ActivityFrame, type ReviewRules } from '../../appliance/review/grouper';

const RULES: ReviewRules = {
  alerts: { labels: ['person'], zones: [] },
  detections: { labels: [], zones: [] },
  gap_s: 5,
  max_s: 300,
};

function grouper(rules: Partial<ReviewRules> = {}) {
  let n = 0;
  return new ReviewGrouper('cam', { ...RULES, ...rules }, () => `item-${++n}`);
}

const frame = (ts: number, objects: ActivityFrame['objects'], events: ActivityFrame['events'] = []): ActivityFrame => ({
  ts,
  objects,
  events,
});
const car = (trackId: number, cx: number) => ({ trackId, label: 'car', cx, cy: 0.5 });
const person = (trackId: number, cx: number) => ({ trackId, label: 'person', cx, cy: 0.5 });

describe('ReviewGrouper', () => {
  test('overlapping activity is one item; it ends gap_s after the last active frame, at that frame', () => {
    const g = grouper();
    expect(g.update(frame(1000, [car(1, 0.1)])).map((m) => m.type)).toEqual(['new']);
    expect(g.update(frame(2000, [car(1, 0.2), person(2, 0.5)])).map((m) => [m.type, m.after.severity])).toEqual([
      ['update', 'alert'],
    ]);
    expect(g.update(frame(3000, [car(1, 0.3)]))).toEqual([]);
    expect(g.update(frame(7000, []))).toEqual([]);
    const [end] = g.update(frame(8000, []));
    expect(end!.type).toBe('end');
    expect(end!.after).toEqual({
      id: 'item-1',
      stream: 'cam',
      start: 1000,
      end: 3000,
      severity: 'alert',
      labels: ['car', 'person'],
      sub_labels: [],
      texts: [],
      zones: [],
      tracks: [1, 2],
      events: [],
      thumb: null,
    });
    expect(g.update(frame(9000, [car(3, 0.1)]))[0]!.after.id).toBe('item-2');
  });

  test("sub-labels: each object's as it stands now, distinct; a new item starts with none", () => {
    const g = grouper();
    const named = (trackId: number, cx: number, subLabel: string | null) => ({ ...person(trackId, cx), subLabel });
    expect(g.update(frame(0, [named(1, 0.1, null)]))[0]!.after.sub_labels).toEqual([]);
    expect(g.update(frame(1000, [named(1, 0.2, 'other')]))[0]!.after.sub_labels).toEqual(['other']);
    // The classifier changes its mind about track 1: the item says only the newer name.
    expect(g.update(frame(2000, [named(1, 0.3, 'delivery'), named(2, 0.5, 'delivery')]))[0]!.after.sub_labels).toEqual([
      'delivery',
    ]);
    // An object gone from view keeps its name in the item.
    expect(
      g.update(frame(3000, [named(2, 0.6, 'resident'), { ...car(3, 0.1), subLabel: 'van' }]))[0]!.after.sub_labels,
    ).toEqual(['delivery', 'resident', 'van']);
    const [end] = g.update(frame(20_000, []));
    expect([end!.type, end!.after.sub_labels]).toEqual(['end', ['delivery', 'resident', 'van']]);
    expect(g.update(frame(21_000, [person(5, 0.1)]))[0]!.after.sub_labels).toEqual([]);
  });

  test("read text (plates): each object's best reading as it stands now, distinct", () => {
    const g = grouper();
    const read = (trackId: number, cx: number, text: string | null) => ({ ...car(trackId, cx), text });
    expect(g.update(frame(0, [read(1, 0.1, null)]))[0]!.after.texts).toEqual([]);
    expect(g.update(frame(1000, [read(1, 0.2, 'NA52BUV')]))[0]!.after.texts).toEqual(['NA52BUV']);
    expect(g.update(frame(2000, [read(1, 0.3, 'NA52BUU'), read(2, 0.6, 'ALM89B')]))[0]!.after.texts).toEqual([
      'NA52BUU',
      'ALM89B',
    ]);
  });

  test('a still object stops being activity after 10 s: a parked car does not hold an item open', () => {
    const g = grouper();
    const types: string[] = [];
    for (let t = 0; t <= 30_000; t += 1000) types.push(...g.update(frame(t, [car(1, 0.5)])).map((m) => m.type));
    expect(types).toEqual(['new', 'end']);
    expect(g.open).toBeNull();
    // It moves off: activity again.
    expect(g.update(frame(31_000, [car(1, 0.7)])).map((m) => m.type)).toEqual(['new']);
  });

  test('alert zones: a person is an alert only once it entered one; labels outside the rules make no item', () => {
    const g = grouper({
      alerts: { labels: ['person'], zones: ['door'] },
      detections: { labels: ['person'], zones: [] },
    });
    expect(g.update(frame(0, [car(1, 0.1)]))).toEqual([]);
    expect(g.update(frame(1000, [person(2, 0.1)]))[0]!.after.severity).toBe('detection');
    const [m] = g.update(
      frame(2000, [person(2, 0.2)], [{ id: 'e1', type: 'enter', trackId: 2, zone: 'door', imageId: 'img-1' }]),
    );
    expect([m!.after.severity, m!.after.zones, m!.after.events, m!.after.thumb]).toEqual([
      'alert',
      ['door'],
      ['e1'],
      'img-1',
    ]);
  });

  test('count events never join an item; a leave after the track ended still does', () => {
    const g = grouper();
    g.update(frame(0, [person(1, 0.1)], [{ id: 'c1', type: 'count', trackId: null, zone: null, imageId: null }]));
    g.update(frame(1000, [person(1, 0.2), person(2, 0.3)]));
    const [m] = g.update(
      frame(1500, [person(2, 0.4)], [{ id: 'l1', type: 'leave', trackId: 1, zone: 'scene', imageId: null }]),
    );
    expect(m!.after.events).toEqual(['l1']);
  });

  test('activity longer than max_s is cut into items; flush ends the open one; setThumb fills a missing thumbnail once', () => {
    const g = grouper({ max_s: 10 });
    const types: string[] = [];
    for (let t = 0; t <= 12_000; t += 1000)
      types.push(...g.update(frame(t, [person(1, t / 20_000)])).map((m) => m.type));
    expect(types).toEqual(['new', 'end', 'new']);
    expect(g.setThumb('item-2', 'img')[0]!.after.thumb).toBe('img');
    expect(g.setThumb('item-2', 'other')).toEqual([]);
    const [end] = g.flush();
    expect([end!.type, end!.after.id, end!.after.start, end!.after.end]).toEqual(['end', 'item-2', 10_000, 12_000]);
    expect(g.flush()).toEqual([]);
  });
});
