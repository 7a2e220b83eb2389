/** Who gets a push for a review item: matching, once per item, snooze, quiet hours across midnight, cooldown. */
import { describe, expect, test } from 'bun:test';
import { decide, DEFAULT_PREFS, isQuiet, matches, NotifyPrefsT } from '../../appliance/notify/rules';
import { Value } from '@sinclair/typebox/value';
import { payloadOf } from '../../appliance/notify/payload';
import { ThumbLinks } from '../../appliance/notify/links';
import { notificationOf } from '../../appliance/ui/sw/notification';
import { subscriptionProblem } from '../../appliance/notify/endpoint';
import { backoffS, Notifier, type Subscription } from '../../appliance/notify/service';
import type { PushResult } from '../../appliance/notify/webpush';
import type { ReviewItem, ReviewMessage } from '../../appliance/contracts/reviews';

const item = (over: Partial<ReviewItem> = {}): ReviewItem => ({
  id: 'r1',
  stream: 'gate',
  start: 0,
  end: null,
  severity: 'alert',
  labels: ['person'],
  sub_labels: [],
  texts: [],
  zones: ['drive'],
  tracks: [1],
  events: ['e1'],
  thumb: null,
  ...over,
});
const msg = (type: ReviewMessage['type'], after: ReviewItem, before: ReviewItem | null = null): ReviewMessage => ({
  type,
  before,
  after,
});
const at = 1_000_000;

describe('notification rules', () => {
  test('alerts only by default; streams, labels and zones narrow it', () => {
    expect(matches(item(), DEFAULT_PREFS)).toBe(true);
    expect(matches(item({ severity: 'detection' }), DEFAULT_PREFS)).toBe(false);
    expect(matches(item(), { ...DEFAULT_PREFS, streams: ['yard'] })).toBe(false);
    expect(matches(item(), { ...DEFAULT_PREFS, labels: ['car'] })).toBe(false);
    expect(matches(item(), { ...DEFAULT_PREFS, labels: ['car', 'person'], zones: ['drive'] })).toBe(true);
    expect(matches(item({ zones: [] }), { ...DEFAULT_PREFS, zones: ['drive'] })).toBe(false);
  });

  test('an item notifies once: when new, or when an update makes it match; never on its end', () => {
    const d = (m: ReviewMessage) => decide(m, DEFAULT_PREFS, at, 600, null);
    expect(d(msg('new', item()))).toEqual({ send: true });
    expect(d(msg('update', item({ labels: ['person', 'dog'] }), item()))).toEqual({ send: false, why: 'already' });
    expect(d(msg('update', item(), item({ severity: 'detection' })))).toEqual({ send: true });
    expect(d(msg('end', item({ end: at }), item()))).toEqual({ send: false, why: 'no_match' });
  });

  test('snooze, quiet hours (across midnight) and the per-stream cooldown hold a push back', () => {
    const m = msg('new', item());
    expect(decide(m, { ...DEFAULT_PREFS, snoozed_until: at + 1 }, at, 600, null)).toEqual({
      send: false,
      why: 'snoozed',
    });
    expect(decide(m, { ...DEFAULT_PREFS, snoozed_until: at }, at, 600, null)).toEqual({ send: true });
    const night = { ...DEFAULT_PREFS, quiet: { from: '22:00', to: '07:00' } };
    expect([23 * 60, 0, 6 * 60 + 59, 7 * 60, 12 * 60].map((min) => isQuiet(night.quiet, min))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(decide(m, night, at, 23 * 60, null)).toEqual({ send: false, why: 'quiet' });
    expect(isQuiet({ from: '09:00', to: '17:00' }, 8 * 60)).toBe(false);
    expect(decide(m, DEFAULT_PREFS, at, 600, at - 59_000)).toEqual({ send: false, why: 'cooldown' });
    expect(decide(m, DEFAULT_PREFS, at, 600, at - 60_000)).toEqual({ send: true });
  });
});

describe('push payload', () => {
  test('says what and where, links the item and its thumbnail under the dashboard base', () => {
    const link = (image: string) => `thumb/${encodeURIComponent(image)}?sig`;
    expect(payloadOf(item({ thumb: 'img 1' }), '/fovea/', '14:02', link)).toEqual({
      title: 'Person at gate',
      body: 'Alert in drive · 14:02',
      image: '/fovea/thumb/img%201?sig',
      url: '/fovea/review/r1',
      tag: 'fovea-review-r1',
    });
    expect(payloadOf(item({ labels: [], zones: [], severity: 'detection' }), '/', '09:00', link)).toMatchObject({
      title: 'Activity at gate',
      body: 'Detection · 09:00',
      image: null,
    });
  });
});

describe('thumbnail links', () => {
  const secret = new Uint8Array(32).fill(7);
  const links = new ThumbLinks(secret, 3600);
  const at = 1_800_000_000_000;
  const parts = (path: string) => {
    const u = new URL(path, 'http://box/');
    return [
      decodeURIComponent(u.pathname.split('/').pop()!),
      Number(u.searchParams.get('exp')),
      u.searchParams.get('sig')!,
    ] as const;
  };
  test('a link opens its own image until it expires, and nothing else', () => {
    const path = links.path('img 1', at);
    expect(path).toStartWith('api/notify/thumbnail/img%201?exp=');
    const [image, exp, sig] = parts(path);
    expect([image, exp]).toEqual(['img 1', at / 1000 + 3600]);
    expect(links.opens(image, exp, sig, at + 3_599_000)).toBe(true);
    expect(links.opens(image, exp, sig, at + 3_600_000)).toBe(false);
    expect(links.opens('img 2', exp, sig, at)).toBe(false);
    expect(links.opens(image, exp + 86_400, sig, at)).toBe(false);
    expect(links.opens(image, exp, `${sig.slice(0, -2)}AA`, at)).toBe(false);
    expect(links.opens(image, exp, '', at)).toBe(false);
    expect(links.opens(image, Number.NaN, sig, at)).toBe(false);
    // Another box (another secret) cannot make links for this one.
    expect(new ThumbLinks(new Uint8Array(32).fill(8), 3600).opens(image, exp, sig, at)).toBe(false);
  });
});

describe('Notifier', () => {
  function setup(results: Record<string, PushResult>) {
    const subs: Subscription[] = [
      {
        id: 'a',
        owner: 'ann',
        endpoint: 'https://p/a',
        keys: { p256dh: 'k', auth: 'x' },
        prefs: {},
        failures: 0,
        nextTry: null,
      },
      {
        id: 'b',
        owner: 'bob',
        endpoint: 'https://p/b',
        keys: { p256dh: 'k', auth: 'x' },
        prefs: { severities: ['alert', 'detection'] },
        failures: 0,
        nextTry: null,
      },
      {
        id: 'c',
        owner: 'cat',
        endpoint: 'https://p/c',
        keys: { p256dh: 'k', auth: 'x' },
        prefs: {},
        failures: 2,
        nextTry: null,
      },
    ];
    const log: string[] = [];
    let now = 1_000_000;
    const n = new Notifier({
      store: {
        list: async () => subs,
        delivered: async (id) => void log.push(`ok ${id}`),
        failed: async (id, _e, next) => {
          log.push(`failed ${id} until +${(next - now) / 1000}s`);
          const s = subs.find((x) => x.id === id)!;
          s.failures++;
          s.nextTry = next;
        },
        remove: async (id) => {
          log.push(`removed ${id}`);
          subs.splice(
            subs.findIndex((x) => x.id === id),
            1,
          );
          return true;
        },
      },
      send: async (t, payload) => {
        log.push(`push ${t.endpoint} ${JSON.parse(payload).title}`);
        return results[t.endpoint] ?? { ok: true, status: 201 };
      },
      now: () => now,
      localMinute: () => 600,
      timeOf: () => '10:00',
      base: '/',
      thumb: (image) => `thumb/${image}`,
      canSee: () => true,
      log: {
        info() {},
        warn() {},
        error() {},
        debug() {},
        child() {
          return this;
        },
      } as never,
    });
    return { n, log, subs, tick: (s: number) => (now += s * 1000) };
  }

  test('an alert reaches every matching subscription; a gone one is removed; a failing one backs off', async () => {
    const { n, log, tick } = setup({
      'https://p/a': { ok: false, gone: true, status: 410, error: 'gone' },
      'https://p/c': { ok: false, gone: false, status: 500, error: 'the push service answered 500' },
    });
    await n.review(msg('new', item()));
    expect(log.sort()).toEqual([
      'failed c until +120s',
      'ok b',
      'push https://p/a Person at gate',
      'push https://p/b Person at gate',
      'push https://p/c Person at gate',
      'removed a',
    ]);
    log.length = 0;
    // A detection reaches only who asked for detections; c is still waiting out its backoff (2 min).
    tick(61);
    await n.review(msg('new', item({ id: 'r2', severity: 'detection' })));
    await n.review(msg('new', item({ id: 'r3', stream: 'yard' })));
    // The gate again within b's minute of cooldown: held.
    await n.review(msg('new', item({ id: 'r4' })));
    expect(log).toEqual(['push https://p/b Person at gate', 'ok b', 'push https://p/b Person at yard', 'ok b']);
    expect(n.counts).toEqual({ sent: 3, failed: 1, gone: 1, held: { backoff: 2, cooldown: 1 } });
  });

  test('backoff doubles from 30 s to an hour', () => {
    expect([1, 2, 3, 8, 20].map(backoffS)).toEqual([30, 60, 120, 3600, 3600]);
  });
});

describe('notification choices', () => {
  test('the defaults are valid; bad times, severities, sizes and unknown keys are refused', () => {
    const ok = (v: unknown) => Value.Check(NotifyPrefsT, v);
    expect(ok(DEFAULT_PREFS)).toBe(true);
    expect(ok({ ...DEFAULT_PREFS, quiet: { from: '22:00', to: '07:30' } })).toBe(true);
    expect(
      [
        { ...DEFAULT_PREFS, quiet: { from: '24:00', to: '07:00' } },
        { ...DEFAULT_PREFS, severities: [] },
        { ...DEFAULT_PREFS, severities: ['critical'] },
        { ...DEFAULT_PREFS, cooldown_s: -1 },
        { ...DEFAULT_PREFS, labels: Array.from({ length: 101 }, (_, i) => `l${i}`) },
        { ...DEFAULT_PREFS, __proto__x: 1 },
      ].map(ok),
    ).toEqual([false, false, false, false, false, false]);
  });
});

describe('subscription endpoints', () => {
  const keys = { p256dh: Buffer.alloc(65, 4).toString('base64url'), auth: Buffer.alloc(16, 1).toString('base64url') };
  const check = (endpoint: string, allowLoopbackHttp = false, k = keys) =>
    subscriptionProblem({ endpoint, keys: k }, { allowLoopbackHttp });
  test('a public https push service is kept; this box, its network, http and bad keys are refused', () => {
    expect(check('https://fcm.googleapis.com/fcm/send/abc')).toBeNull();
    expect(check('https://updates.push.services.mozilla.com/wpush/v2/x')).toBeNull();
    expect(
      [
        'http://fcm.googleapis.com/x',
        'https://127.0.0.1/x',
        'https://localhost:8080/x',
        'https://10.1.2.3/x',
        'https://192.168.1.1/x',
        'https://172.20.0.1/x',
        'https://169.254.169.254/latest',
        'https://[::1]/x',
        'https://[fd00::1]/x',
        'https://box.local/x',
        'https://user:pw@push.example.com/x',
        'not a url',
      ].map((e) => check(e) !== null),
    ).toEqual(new Array(12).fill(true));
    expect(check('http://127.0.0.1:9000/push', true)).toBeNull();
    expect(check('http://10.0.0.1/push', true)).not.toBeNull();
    expect(check('https://push.example.com/x', false, { ...keys, p256dh: 'AAAA' })).toMatch(/P-256/);
    expect(check('https://push.example.com/x', false, { ...keys, auth: 'not base64!' })).toMatch(/16-byte/);
  });
});

describe("the service worker's notification", () => {
  const scope = 'https://box.example/fovea/';
  test("shows the box's payload, its links resolved under the scope", () => {
    const p = JSON.stringify({
      title: 'Person at gate',
      body: 'Alert · 14:02',
      image: '/fovea/api/notify/thumbnail/i?exp=1&sig=s',
      url: '/fovea/review/r1',
      tag: 'fovea-review-r1',
    });
    expect(notificationOf(p, scope)).toEqual({
      title: 'Person at gate',
      options: {
        body: 'Alert · 14:02',
        tag: 'fovea-review-r1',
        image: 'https://box.example/fovea/api/notify/thumbnail/i?exp=1&sig=s',
        icon: 'https://box.example/fovea/api/notify/thumbnail/i?exp=1&sig=s',
        data: { url: 'https://box.example/fovea/review/r1' },
      },
    });
  });
  test('a push that is not the box JSON still shows; links off the box open the dashboard instead', () => {
    expect(notificationOf(null, scope)).toEqual({ title: 'fovea', options: { body: '', data: { url: scope } } });
    expect(notificationOf('plain words', scope).options.body).toBe('plain words');
    expect(notificationOf('[1,2]', scope).title).toBe('fovea');
    const away = notificationOf(
      JSON.stringify({ title: 7, url: 'https://evil.example/x', image: 'javascript:alert(1)' }),
      scope,
    );
    expect(away).toEqual({ title: 'fovea', options: { body: '', data: { url: scope } } });
    expect(notificationOf(JSON.stringify({ title: 'x'.repeat(500) }), scope).title).toHaveLength(200);
  });
});
