/**
 * @module bench notify: how long from an alert to the push reaching the browser's push service, on
 * loopback with the test suite's push-service stand-in (it decrypts nothing while timing; a real push
 * service adds its own network and delivery time). Three rows over a bare baseline:
 * - bare: `sendPush` alone (RFC 8291 encryption, a VAPID JWT, one POST), the floor;
 * - the box's notifier on a new alert item: the subscriptions read from DuckDB, the choices weighed,
 *   the payload made and pushed, for 1 and for 20 subscribed browsers (until the last one has it);
 * - from the video: the person video played as a camera through the people pipeline, each alert from
 *   the first frame its item starts on (the person seen) to the push received. It includes the
 *   tracker's confirmation (3 hits at 5 fps) and the review grouping: what a person waits for.
 */
import { join } from 'node:path';
import { startAppliance, personStream, stream, tempDir, waitFor } from '../test/helpers/fixtures';
import { browser, open, pushService } from '../test/helpers/push';
import { sendPush } from '../appliance/notify/webpush';
import { vapidKeys } from '../appliance/notify/keys';
import type { ReviewItem } from '../appliance/contracts/reviews';
import { median, ms, percentile, row } from './lib/stats';

const RUNS = Number(process.env.FOVEA_BENCH_PUSHES ?? 200);

const json = (method: string, body: unknown) => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export async function notifyBench(): Promise<string[]> {
  const out: string[] = [];
  const service = pushService();
  try {
    // Bare: one push, encrypted and posted, as the web-push library does it.
    const b = browser(`${service.url}/bare`);
    await using dir = await tempDir('fovea-bench-');
    const vapid = await vapidKeys(join(dir.path, 'vapid.json'));
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = await sendPush(b.target, JSON.stringify({ title: `t${i}` }), {
        vapid,
        subject: 'mailto:bench@example.com',
        ttlS: 60,
        urgency: 'high',
        timeoutMs: 5000,
      });
      if (!r.ok) throw new Error(`bench notify: bare push failed: ${r.error}`);
      bare.push(performance.now() - t);
    }
    out.push(
      row([
        'bare',
        'sendPush alone: encrypt, VAPID JWT, POST',
        ms(median(bare)),
        ms(percentile(bare, 95)),
        `${RUNS} pushes`,
      ]),
    );

    // The notifier on a new alert, with the box's store, choices and payload.
    await using app = await startAppliance({ notify: { web_push: { allow_loopback_http: true } } });
    for (const n of [1, 20]) {
      const subs = Array.from({ length: n }, (_, i) => browser(`${service.url}/n${n}/${i}`));
      const ids: string[] = [];
      for (const s of subs) {
        const r = await app.api('/api/notify/subscriptions', json('POST', { ...s.target, prefs: { cooldown_s: 0 } }));
        ids.push(((await r.json()) as { id: string }).id);
      }
      const times: number[] = [];
      const runs = n === 1 ? RUNS : Math.ceil(RUNS / 4);
      for (let i = 0; i < runs; i++) {
        const item: ReviewItem = {
          id: `bench-${n}-${i}`,
          stream: `cam${i}`,
          start: Date.now(),
          end: null,
          severity: 'alert',
          labels: ['person'],
          sub_labels: [],
          texts: [],
          zones: [],
          tracks: [i],
          events: [],
          thumb: null,
        };
        const before = service.received.length;
        const t = performance.now();
        await app.rt.notifier!.review({ type: 'new', before: null, after: item });
        await waitFor(() => service.received.length >= before + n, 10_000, `${n} pushes`);
        times.push(performance.now() - t);
      }
      const last = service.received.at(-1)!;
      const said = JSON.parse(
        open(subs.find((s) => last.path.endsWith(new URL(s.target.endpoint).pathname))!, last.body),
      );
      if (!said.title.startsWith('Person')) throw new Error('bench notify: the push did not open');
      out.push(
        row([
          `${n} browser${n > 1 ? 's' : ''}`,
          'notifier: new alert item to every push received',
          ms(median(times)),
          ms(percentile(times, 95)),
          `${(median(times) / median(bare)).toFixed(1)}× bare, ${runs} items`,
        ]),
      );
      for (const id of ids) await app.api(`/api/notify/subscriptions/${id}`, { method: 'DELETE' });
    }
  } finally {
    service.stop();
  }
  out.push(...(await fromVideo()));
  return out;
}

/** The person video as a camera: each alert's first frame to its push. */
async function fromVideo(): Promise<string[]> {
  const service = pushService();
  try {
    const loopS = Number(process.env.FOVEA_BENCH_NOTIFY_S ?? 140);
    await using app = await startAppliance({
      notify: { web_push: { allow_loopback_http: true } },
      streams: [stream({ ...personStream('door'), review: { gap_s: 1 } })],
    });
    const b = browser(`${service.url}/video`);
    await app.api('/api/notify/subscriptions', json('POST', { ...b.target, prefs: { cooldown_s: 0 } }));
    const started = Date.now();
    await waitFor(() => Date.now() - started > loopS * 1000, loopS * 1000 + 10_000, 'the video played');
    const lat: number[] = [];
    for (const r of service.received) {
      const said = JSON.parse(open(b, r.body)) as { url: string };
      const id = decodeURIComponent(said.url.split('/').pop()!);
      const item = (await (await app.api(`/api/review/${id}`)).json()) as { start: string };
      lat.push(r.at - Date.parse(item.start));
    }
    if (lat.length === 0) throw new Error('bench notify: no alert was pushed from the video');
    return [
      row([
        'person video',
        'first frame of an alert item to its push received',
        ms(median(lat)),
        ms(percentile(lat, 95)),
        `${lat.length} alerts in ${loopS} s; max ${ms(Math.max(...lat))} ms; target ≤ 2000`,
      ]),
    ];
  } finally {
    service.stop();
  }
}
