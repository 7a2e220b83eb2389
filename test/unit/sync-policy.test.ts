import { describe, expect, test } from 'bun:test';
import { contentTypeOf, parseLocalKey, probeDelayMs, remoteKey, retryDelayMs } from '../../appliance/sync/policy';

const SHA = 'ab'.padEnd(64, '0');

describe('sync policy', () => {
  test('remote keys are <prefix>/<device>/<yyyy>/<mm>/<dd>/<sha256>.<ext>, in UTC, with or without a prefix', () => {
    const at = new Date('2026-03-01T23:30:00-05:00');
    expect([remoteKey('site/a/', 'box-1', at, SHA, 'jpg'), remoteKey('', 'box-1', at, SHA, 'png')]).toEqual([
      `site/a/box-1/2026/03/02/${SHA}.jpg`, `box-1/2026/03/02/${SHA}.png`,
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
    expect([1, 50].map((f) => probeDelayMs(f, false, 0))).toEqual([1000, 300_000]);
  });
});
