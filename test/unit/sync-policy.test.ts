import { describe, expect, test } from 'bun:test';
import { contentTypeOf, parseLocalKey, probeDelayMs, remoteKey, retryDelayMs } from '../../appliance/sync/policy';

const SHA = 'ab'.padEnd(64, '0');

describe('sync policy', () => {
  test('remote keys are <prefix>/<device>/<yyyy>/<mm>/<dd>/<sha256>.<ext>, in UTC, with or without a prefix', () => {
    const at = new Date('2026-03-01T23:30:00-05:00');
    expect([remoteKey('site/a/', 'box-1', at, SHA, 'jpg'), remoteKey('', 'box-1', at, SHA, 'png')]).toEqual([
      `site/a/box-1/2026/03/02/${SHA}.jpg`,
      `box-1/2026/03/02/${SHA}.png`,
    ]);
  });

  test('a local content key gives its sha256 and extension; anything else is refused', () => {
    expect(parseLocalKey(`ab/${SHA}.jpg`)).toEqual({ sha256: SHA, ext: 'jpg' });
    expect(() => parseLocalKey('../etc/passwd')).toThrow('not a content key');
    expect([contentTypeOf('jpg'), contentTypeOf('bin')]).toEqual(['image/jpeg', 'application/octet-stream']);
  });

  test('an object that failed waits 1, 2, 5 … 300 s, with at most 25% jitter', () => {
    expect([1, 2, 3, 8, 20].map((a) => retryDelayMs(a, 0))).toEqual([1000, 2000, 5000, 300_000, 300_000]);
    expect(retryDelayMs(1, 1)).toBe(1250);
  });

  test('an unreachable bucket is probed every 30 s at most; a refusing one every 5 min at most', () => {
    expect([1, 6, 50].map((f) => probeDelayMs(f, true, 0))).toEqual([1000, 30_000, 30_000]);
    // A shorter ceiling cuts the schedule there; a longer one adds a last step.
    expect([1, 3, 4, 50].map((f) => probeDelayMs(f, true, 0, 3))).toEqual([1000, 3000, 3000, 3000]);
    expect([5, 6, 50].map((f) => probeDelayMs(f, true, 0, 120))).toEqual([20_000, 120_000, 120_000]);
    expect([1, 50].map((f) => probeDelayMs(f, false, 0))).toEqual([1000, 300_000]);
  });
});

import { overBudget, pickEvictions } from '../../appliance/sync/retention-policy';

describe('retention policy', () => {
  test('over budget by bytes, by disk percentage, or the larger of both; 0 means no limit', () => {
    const u = { objectBytes: 1500, fsTotal: 10_000, fsUsed: 9_000 };
    expect([
      overBudget({ max_bytes: 1000, max_disk_percent: 0 }, u),
      overBudget({ max_bytes: 0, max_disk_percent: 85 }, u),
      overBudget({ max_bytes: 1000, max_disk_percent: 80 }, u),
      overBudget({ max_bytes: 0, max_disk_percent: 0 }, u),
      overBudget({ max_bytes: 5000, max_disk_percent: 95 }, u),
    ]).toEqual([500, 500, 1000, 0, 0]);
  });

  test('the oldest candidates are taken until the need is covered; what they cannot cover is short', () => {
    const c = [
      { k: 'a', size: 300 },
      { k: 'b', size: 300 },
      { k: 'c', size: 300 },
    ];
    expect(
      [pickEvictions(500, c), pickEvictions(0, c), pickEvictions(1000, c)].map((p) => [
        p.evict.map((x) => x.k),
        p.short,
      ]),
    ).toEqual([
      [['a', 'b'], 0],
      [[], 0],
      [['a', 'b', 'c'], 100],
    ]);
  });
});
