/** Push subscriptions in a real DuckDB: per owner, a browser subscribing again, choices, delivery record. */
import { expect, test } from 'bun:test';
import { Db } from '../../appliance/store/duckdb';
import { migrate } from '../../appliance/store/migrate';
import { NotifyStore } from '../../appliance/store/notify';

test('subscriptions are their owner’s; the same endpoint again keeps its id and choices; failures and gone', async () => {
  const db = await Db.open(':memory:');
  await migrate(db);
  const s = new NotifyStore(db);
  const keys = { p256dh: 'BPk', auth: 'au' };
  const a = await s.subscribe(
    { owner: 'ann', endpoint: 'https://push.example/a', keys, agent: 'Chromium', prefs: { cooldown_s: 60 } },
    's1',
  );
  await s.setPrefs('s1', 'ann', { cooldown_s: 5 });
  // The browser subscribes again (new keys): same row, choices kept.
  const again = await s.subscribe(
    {
      owner: 'ann',
      endpoint: 'https://push.example/a',
      keys: { p256dh: 'BPk2', auth: 'au2' },
      agent: 'Chromium',
      prefs: {},
    },
    's2',
  );
  // Bob's browser; then ann's endpoint taken over by bob (a shared browser that signed in as him): his now, fresh.
  await s.subscribe({ owner: 'bob', endpoint: 'https://push.example/b', keys, agent: null, prefs: {} }, 's3');
  expect([
    a.id,
    again.id,
    again.keys.p256dh,
    again.prefs,
    (await s.list('ann')).length,
    (await s.list()).length,
  ]).toEqual(['s1', 's1', 'BPk2', { cooldown_s: 5 }, 1, 2]);
  expect([await s.setPrefs('s1', 'bob', {}), await s.remove('s1', 'bob'), (await s.get('s1'))?.owner]).toEqual([
    false,
    false,
    'ann',
  ]);
  const taken = await s.subscribe(
    { owner: 'bob', endpoint: 'https://push.example/a', keys, agent: null, prefs: { x: 1 } },
    's4',
  );
  expect([taken.id, taken.owner, taken.prefs, (await s.list('ann')).length]).toEqual(['s4', 'bob', { x: 1 }, 0]);
  await s.failed('s4', 'the push service answered 500', 5_000);
  await s.failed('s4', 'the push service answered 500', 10_000);
  const f = (await s.get('s4'))!;
  expect([f.failures, f.lastError, f.nextTry]).toEqual([2, 'the push service answered 500', 10_000]);
  await s.delivered('s4', 20_000);
  const d = (await s.get('s4'))!;
  expect([d.sent, d.lastOk, d.failures, d.nextTry]).toEqual([1, 20_000, 0, null]);
  expect([await s.remove('s4', null), await s.get('s4')]).toEqual([true, null]);
  db.close();
});
