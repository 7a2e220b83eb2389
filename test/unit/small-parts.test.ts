import { describe, expect, test } from 'bun:test';
import { Batcher } from '../../appliance/shared/batcher';
import { RateLimiter } from '../../appliance/auth/ratelimit';
import { matchKey, mintKey } from '../../appliance/auth/keys';
import { contentKey, isValidKey } from '../../appliance/objects/port';
import { appendNodeAndOutput } from '../../appliance/models/derive';
import { parseTags } from '../../appliance/api/views';
import { tokenOf } from '../../appliance/api/auth';
import { builtinCatalog, findModel, parseCatalog } from '../../appliance/models/catalog';
import { exactTop } from '../../appliance/search/usearch';
import { RecentValues } from '../../appliance/ingest/rate';

describe('Batcher', () => {
  test('a lone write is flushed at once; writes arriving during a flush go together in the next', async () => {
    const calls: number[][] = [];
    let release: () => void = () => {};
    const b = new Batcher<number>(
      async (items) => {
        calls.push(items);
        if (items[0] === 1)
          await new Promise<void>((r) => {
            release = r;
          });
      },
      { max: 10 },
    );
    const first = b.add(1);
    await Promise.resolve();
    await Promise.resolve();
    const later = [b.add(2), b.add(3), b.add(4)];
    expect(calls).toEqual([[1]]);
    release();
    await Promise.all([first, ...later]);
    expect(calls).toEqual([[1], [2, 3, 4]]);
  });

  test('batches are capped at max, and a failed flush rejects each of its callers only', async () => {
    const calls: number[][] = [];
    const b = new Batcher<number>(
      async (items) => {
        calls.push(items);
        if (items.includes(2)) throw new Error('disk full');
      },
      { max: 2 },
    );
    const results = await Promise.allSettled([b.add(1), b.add(2), b.add(3)]);
    expect([calls, results.map((r) => r.status)]).toEqual([
      [[1, 2], [3]],
      ['rejected', 'rejected', 'fulfilled'],
    ]);
  });
});

describe('RateLimiter', () => {
  test('allows the budget, refuses with Retry-After, refills over time', () => {
    let now = 0;
    const r = new RateLimiter(3, () => now);
    const first = [r.take('k'), r.take('k'), r.take('k'), r.take('k')].map((d) => d.ok);
    const refused = r.take('k');
    now += 20_000;
    expect([first, refused.retryAfterS, r.take('k').ok, r.take('other').ok]).toEqual([
      [true, true, true, false],
      20,
      true,
      true,
    ]);
  });
});

describe('API keys', () => {
  test('a minted key matches its record only, and a revoked key never matches', () => {
    const a = mintKey('a', new Date(0));
    const b = mintKey('b', new Date(0));
    expect(a.record.sha256).not.toContain(a.token.slice(13));
    expect([
      matchKey([a.record, b.record], a.token)?.name,
      matchKey([b.record], a.token),
      matchKey([{ ...a.record, revoked_at: 'x' }], a.token),
      matchKey([a.record], 'nope'),
    ]).toEqual(['a', null, null, null]);
  });

  test('tokens are read from X-API-Key or Authorization: Bearer', () => {
    expect([
      tokenOf(new Headers({ 'x-api-key': 'k1' })),
      tokenOf(new Headers({ authorization: 'Bearer k2' })),
      tokenOf(new Headers({ authorization: 'Basic k3' })),
    ]).toEqual(['k1', 'k2', null]);
  });
});

describe('object keys', () => {
  test('content keys are sharded by the sha prefix, and foreign keys are refused', () => {
    const sha = `ab${'c'.repeat(62)}`;
    expect([
      contentKey(sha, '.JPG'),
      isValidKey(contentKey(sha, 'jpg')),
      isValidKey('../etc/passwd'),
      isValidKey(`cd/${sha}.jpg`),
    ]).toEqual([`ab/${sha}.jpg`, true, false, false]);
  });
});

describe('derive', () => {
  test('the appended ModelProto bytes encode graph(7){node(1), output(12)}', () => {
    const bytes = appendNodeAndOutput({ inputs: ['x'], output: 'y', op: 'Op', name: 'n' }, [3]);
    // field 7, wire type 2 = 0x3a; node = field 1 (0x0a); the output ValueInfo = field 12 (0x62).
    expect([bytes[0], bytes[2]]).toEqual([0x3a, 0x0a]);
    expect(Array.from(bytes)).toContain(0x62);
    expect(new TextDecoder().decode(bytes)).toContain('Op');
  });
});

describe('model catalog', () => {
  test('the built-in catalog parses and finds models by id and id@version', () => {
    const c = builtinCatalog();
    expect([
      findModel(c, 'mobilenetv2-embed').output.dims,
      findModel(c, 'yolox-nano@1').input.width,
      findModel(c, 'clip-vit-b32').available,
    ]).toEqual([1280, 416, false]);
    expect(() => findModel(c, 'nope@1')).toThrow('model nope@1 is not in the catalog');
  });

  test('a bad catalog entry is reported with its line', () => {
    expect(() => parseCatalog('models:\n  - id: x\n    version: 0\n', 'cat.yaml')).toThrow(
      /cat\.yaml:3: \/models\/0\/version/,
    );
  });
});

test('tags come from repeated fields or commas, trimmed and unique', () => {
  expect(parseTags(['a, b', 'b', ' c '])).toEqual(['a', 'b', 'c']);
});

import { FakeTimers, Nap, Periodic, sleep, within } from '../../appliance/shared/timers';

/** Settle promise callbacks (no time passes: the fake clock moves only on advance). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** Whether p has settled, after the callbacks due now have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await settle();
  return done;
}

describe('timers on a fake clock', () => {
  test('Nap: a wake during a sleep ends it; a wake while busy ends the next sleep at once; no wake sleeps the time', async () => {
    const t = new FakeTimers();
    const nap = new Nap(t);
    const woken = nap.sleep(5000);
    t.advance(10);
    const beforeWake = await settled(woken);
    nap.wake();
    const afterWake = await settled(woken);
    nap.wake();
    const kept = await settled(nap.sleep(5000));
    const timed = nap.sleep(30);
    t.advance(29);
    const early = await settled(timed);
    t.advance(1);
    const onTime = await settled(timed);
    expect({ beforeWake, afterWake, kept, early, onTime, now: t.now() }).toEqual({
      beforeWake: false,
      afterWake: true,
      kept: true,
      early: false,
      onTime: true,
      now: 40,
    });
  });

  test('sleep and within run on the given clock', async () => {
    const t = new FakeTimers();
    const s = sleep(t, 100);
    const never = within(new Promise(() => undefined), 50, t);
    t.advance(50);
    const at50 = [await settled(s), await settled(never)];
    t.advance(50);
    expect({ at50, at100: await settled(s), withinAnswer: await never }).toEqual({
      at50: [false, true],
      at100: true,
      withinAnswer: false,
    });
  });

  test('Periodic runs its job every interval of the clock, one run at a time', async () => {
    const t = new FakeTimers();
    let runs = 0;
    const p = new Periodic(
      async () => {
        runs++;
      },
      10,
      t,
    );
    p.start();
    t.advance(9_999);
    const before = runs;
    t.advance(1);
    await settle();
    t.advance(10_000);
    await settle();
    // Two ticks inside one advance: the second comes while the first run is still going, and joins it.
    t.advance(20_000);
    await settle();
    await p.stop();
    t.advance(60_000);
    expect({ before, after: runs }).toEqual({ before: 0, after: 3 });
  });
});

describe('exactTop', () => {
  test('a view into a larger buffer is searched as its own rows, not the buffer’s first ones', () => {
    // Rows 0..3 are the unit axes; the view holds rows 1..3, and the query is a view of row 3.
    const axes = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const view = axes.subarray(4);
    expect(exactTop(view, new Float32Array([1, 0, 0, 0]), 4, 1)[0]!.score).toBeCloseTo(0);
    expect(exactTop(view, axes.subarray(12), 4, 1)).toEqual([{ at: 2, score: 1 }]);
  });
});

describe('RecentValues', () => {
  test('percentiles by nearest rank over the last values only', () => {
    const r = new RecentValues(4);
    const none = r.percentile(99);
    for (const v of [100, 1, 2, 3, 4]) r.add(v);
    expect([none, r.percentile(50), r.percentile(99), r.percentile(0)]).toEqual([null, 2, 4, 1]);
  });
});
