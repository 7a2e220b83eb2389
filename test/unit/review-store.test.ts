/** The review items' store on an in-memory DuckDB: upserts keep marks, reviewed is per user, the filters, keep, and items left open. */
import { beforeEach, describe, expect, test } from 'bun:test';
import { Db } from '../../appliance/store/duckdb';
import { migrate } from '../../appliance/store/migrate';
import { ReviewStore } from '../../appliance/store/recordings';
import type { ReviewItem } from '../../appliance/contracts/reviews';

let db: Db;
let store: ReviewStore;
beforeEach(async () => {
  db = await Db.open(':memory:');
  await migrate(db);
  store = new ReviewStore(db);
});

const T = Date.parse('2026-12-06T10:00:00Z');
const item = (n: number, over: Partial<ReviewItem> = {}): ReviewItem => ({
  id: `0193a000-0000-7000-8000-00000000000${n}`,
  stream: 'door',
  start: T + n * 60_000,
  end: T + n * 60_000 + 20_000,
  severity: 'alert',
  labels: ['person'],
  sub_labels: [],
  texts: [],
  zones: [],
  tracks: [n],
  events: [`e${n}`],
  thumb: null,
  ...over,
});

describe('ReviewStore', () => {
  test('reviewed is per user; unreviewed come first, newest first; the filters', async () => {
    await store.put(item(1));
    await store.put(item(2, { severity: 'detection', labels: ['car'], zones: ['drive'] }));
    await store.put(item(3, { stream: 'yard', sub_labels: ['delivery'] }));
    await store.markReviewed([item(3).id], 'ann', true);
    const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id.slice(-1));
    expect(ids(await store.list({ user: 'ann', limit: 10 }))).toEqual(['2', '1', '3']);
    expect(ids(await store.list({ user: 'bob', limit: 10 }))).toEqual(['3', '2', '1']);
    expect(ids(await store.list({ user: 'ann', reviewed: true, limit: 10 }))).toEqual(['3']);
    expect(ids(await store.list({ user: 'bob', reviewed: true, limit: 10 }))).toEqual([]);
    expect(ids(await store.list({ user: 'ann', severity: 'detection', limit: 10 }))).toEqual(['2']);
    expect(ids(await store.list({ user: 'ann', label: 'car', zone: 'drive', limit: 10 }))).toEqual(['2']);
    expect(ids(await store.list({ user: 'ann', stream: 'yard', limit: 10 }))).toEqual(['3']);
    expect(ids(await store.list({ user: 'ann', subLabel: 'delivery', limit: 10 }))).toEqual(['3']);
    expect((await store.get(item(3).id, 'ann'))?.sub_labels).toEqual(['delivery']);
    expect(ids(await store.list({ user: 'ann', after: T + 150_000, limit: 10 }))).toEqual(['3']);
    expect(ids(await store.list({ user: 'ann', before: T + 90_000, limit: 10 }))).toEqual(['1']);
    await store.markReviewed([item(3).id], 'ann', false);
    expect((await store.get(item(3).id, 'ann'))?.reviewed).toBe(false);
  });

  test('an update keeps the keep mark and the reads; items left open end at their last update; an event finds its item', async () => {
    await store.put(item(1, { end: null }));
    await store.markReviewed([item(1).id], 'ann', true);
    expect(await store.setKeep(item(1).id, true)).toBe(true);
    expect(await store.setKeep('0193a000-0000-7000-8000-000000000009', true)).toBe(false);
    await store.put(item(1, { end: null, labels: ['person', 'dog'], tracks: [1, 4] }));
    const got = (await store.get(item(1).id, 'ann'))!;
    expect([got.keep, got.reviewed, got.labels, got.tracks, got.end]).toEqual([
      true,
      true,
      ['person', 'dog'],
      [1, 4],
      null,
    ]);
    expect(await store.endOpen()).toBe(1);
    expect((await store.get(item(1).id, 'ann'))!.end).not.toBeNull();
    expect(await store.ofEvent('e1')).toBe(item(1).id);
    expect(await store.ofEvent('nope')).toBeNull();
    expect(await store.spans()).toEqual([
      { stream: 'door', start: item(1).start, end: expect.any(Number), severity: 'alert', keep: true },
    ]);
  });
});
