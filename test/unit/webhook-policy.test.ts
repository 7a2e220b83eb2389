import { describe, expect, test } from 'bun:test';
import { displayUrl, outcomeOf, retryDelayMs, sign, verify } from '../../appliance/publish/webhook-policy';

describe('webhook policy', () => {
  test('the signature is HMAC-SHA256 of "<timestamp>.<body>" (checked against openssl dgst -hmac)', () => {
    // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec-test-secret
    expect(sign('whsec-test-secret', 1_700_000_000, '{"a":1}')).toBe(
      'sha256=4b776f4eda0086dafb75030a7dcbe0b60f5c49dbdc5376afc01e2e4d98eff080',
    );
  });

  test('a receiver accepts the right signature only, within the clock tolerance', () => {
    const h = sign('s3cret-s3cret-s3cret', 1000, 'body');
    expect([
      verify('s3cret-s3cret-s3cret', h, 1000, 'body', 1100),
      verify('s3cret-s3cret-s3cret', h, 1000, 'body!', 1100),
      verify('another-secret-here', h, 1000, 'body', 1100),
      verify('s3cret-s3cret-s3cret', h, 1000, 'body', 1000 + 301),
      verify('s3cret-s3cret-s3cret', 'sha256=00', 1000, 'body', 1000),
    ]).toEqual([true, false, false, false, false]);
  });

  test('2xx delivers; 400/413/415/422 skip the event; everything else is retried', () => {
    const statuses = [200, 204, 301, 400, 401, 404, 408, 413, 415, 422, 429, 500, 503, null];
    expect(statuses.map(outcomeOf)).toEqual([
      'delivered',
      'delivered',
      'retry',
      'skip',
      'retry',
      'retry',
      'retry',
      'skip',
      'skip',
      'skip',
      'retry',
      'retry',
      'retry',
      'retry',
    ]);
  });

  test('retries wait 1, 2, 5 … 60 s, then 60 s, with at most 20% jitter', () => {
    expect([1, 2, 3, 7, 50].map((a) => retryDelayMs(a, 0))).toEqual([1000, 2000, 5000, 60_000, 60_000]);
    expect(retryDelayMs(3, 0.999)).toBe(Math.round(5000 * 1.1998));
  });

  test('URLs in status and logs carry no credentials or query', () => {
    expect([displayUrl('https://user:pw@hooks.example.com:8443/in?token=abc'), displayUrl('not a url')]).toEqual([
      'https://hooks.example.com:8443/in',
      '(invalid url)',
    ]);
  });
});
