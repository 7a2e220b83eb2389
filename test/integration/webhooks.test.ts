/**
 * Webhooks from a real video run to a real HTTP receiver on loopback: a receiver that fails twice
 * (a 503, then a hang past the timeout) gets every event once, each signature checks with the
 * recipe in docs/publishing.md; filters hold; 422 skips; a restart does not deliver again.
 */
import { expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { eventsAfter } from '../../appliance/store/results';
import { VIDEOS, startAppliance, stream, tempDir, waitFor } from '../helpers/fixtures';

const SECRET = 'whsec-integration-test-secret';

interface Delivery {
  hook: string;
  id: string;
  attempt: number;
  status: number;
  signed: boolean;
  type: string;
}

function receiver() {
  const deliveries: Delivery[] = [];
  let opsCalls = 0;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const body = await req.text();
      const h = (n: string) => req.headers.get(n) ?? '';
      // The receiver's check, as docs/publishing.md gives it.
      const expected = `sha256=${createHmac('sha256', SECRET)
        .update(`${h('x-fovea-timestamp')}.${body}`)
        .digest('hex')}`;
      const signed =
        h('x-fovea-signature') === expected && Math.abs(Date.now() / 1000 - Number(h('x-fovea-timestamp'))) < 300;
      const msg = JSON.parse(body) as { id: string; event: string };
      const hook = h('x-fovea-webhook');
      let status = 200;
      if (hook === 'ops') {
        opsCalls++;
        if (opsCalls === 1) status = 503;
        // An overloaded receiver: it answers 503, but only after the sender's timeout.
        if (opsCalls === 2) {
          await Bun.sleep(1500);
          status = 503;
        }
      }
      if (hook === 'picky' && msg.event === 'count') status = 422;
      deliveries.push({
        hook,
        id: msg.id,
        attempt: Number(h('x-fovea-delivery-attempt')),
        status,
        signed,
        type: msg.event,
      });
      return new Response(null, { status });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, deliveries, server };
}

test('a receiver that fails twice then succeeds gets each event once, signed; filters and 422 hold; a restart does not resend', async () => {
  await using state = await tempDir();
  const rx = receiver();
  const hooks = [
    { name: 'ops', url: `${rx.url}/ops?token=not-in-status`, secret: SECRET, timeout_ms: 500 },
    { name: 'doors', url: `${rx.url}/doors`, secret: SECRET, events: ['enter'] },
    { name: 'picky', url: `${rx.url}/picky`, secret: SECRET },
  ].map((h) => ({ streams: [], events: [], timeout_ms: 5000, ...h }));
  const run = await startAppliance(
    {
      webhooks: hooks,
      streams: [
        stream({ id: 'table', url: join(VIDEOS, 'one-by-one-person-detection.mp4'), pipeline: 'people', fps: 2 }),
      ],
    },
    state.path,
  );
  await waitFor(() => run.rt.streams.get('table')!.view().state === 'stopped', 120_000, 'video analysed');
  await run.rt.sink.flush();
  type Status = {
    webhooks: Array<{
      name: string;
      url: string;
      pending: number;
      delivered: number;
      skipped: number;
      failed_attempts: number;
      last_error: string | null;
    }>;
  };
  const status = await waitFor(
    async () => {
      const s = (await (await run.api('/api/publish/status')).json()) as Status;
      return s.webhooks.every((w) => w.pending === 0) && s;
    },
    60_000,
    'every webhook caught up',
  );
  const stored = await eventsAfter(run.rt.db, 0, {}, 100_000);
  await run[Symbol.asyncDispose]();

  const ok = (hook: string) => rx.deliveries.filter((d) => d.hook === hook && d.status === 200).map((d) => d.id);
  const ops = rx.deliveries.filter((d) => d.hook === 'ops');
  expect([stored.length, rx.deliveries.every((d) => d.signed)]).toEqual([expect.above(10), true]);
  expect(ok('ops')).toEqual(stored.map((r) => r.id));
  expect(ops.slice(0, 3).map((d) => [d.id, d.attempt])).toEqual([1, 2, 3].map((a) => [stored[0]!.id, a]));
  expect(ok('doors')).toEqual(stored.filter((r) => r.type === 'enter').map((r) => r.id));
  expect(ok('picky')).toEqual(stored.filter((r) => r.type !== 'count').map((r) => r.id));
  const byName = Object.fromEntries(status.webhooks.map((w) => [w.name, w]));
  expect(byName.ops).toMatchObject({
    url: `${rx.url}/ops`,
    delivered: stored.length,
    failed_attempts: 2,
    last_error: 'timed out after 500 ms',
  });
  expect(byName.picky!.skipped).toBe(stored.filter((r) => r.type === 'count').length);

  // Restarted on the same state: cursors were kept, nothing is sent again.
  const before = rx.deliveries.length;
  const again = await startAppliance({ webhooks: hooks }, state.path);
  // Each worker resumes from its kept cursor: nothing after it, so nothing is left to send.
  const resumed = ((await (await again.api('/api/publish/status')).json()) as Status).webhooks;
  await again[Symbol.asyncDispose]();
  expect({
    resumed: resumed.map((w) => ({ name: w.name, pending: w.pending, delivered: w.delivered })),
    sent: rx.deliveries.length - before,
  }).toEqual({
    resumed: hooks.map((h) => ({ name: h.name, pending: 0, delivered: 0 })),
    sent: 0,
  });
  rx.server.stop(true);
}, 180_000);
