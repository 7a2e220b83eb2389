/**
 * Alerts reach a browser (issue 32, wired so far without the API): the person video through the
 * built-in people pipeline on a running appliance, with two browsers subscribed in its store. The
 * first person's review item becomes an alert, and the alert is pushed: the stand-in push service
 * gets a push that only the first browser's keys open, saying who and where, linking the item. The
 * second browser's push service answers 410, and the box forgets that subscription.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { personStream, startAppliance, waitFor, type Appliance } from '../helpers/fixtures';
import { browser, open, pushService } from '../helpers/push';

let app: Appliance;
let service: ReturnType<typeof pushService>;

beforeAll(async () => {
  service = pushService();
  app = await startAppliance({ streams: [personStream()] });
}, 60_000);
afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
  service?.stop();
});

test('the first person in the video is an alert pushed to the subscribed browser; a gone browser is forgotten', async () => {
  const ann = browser(`${service.url}/push/ann`);
  const gone = browser(`${service.url}/gone`);
  const store = app.rt.notifyStore;
  await store.subscribe(
    { owner: 'ann', endpoint: ann.target.endpoint, keys: ann.target.keys, agent: 'test', prefs: {} },
    'ann-1',
  );
  await store.subscribe(
    { owner: 'bob', endpoint: gone.target.endpoint, keys: gone.target.keys, agent: 'test', prefs: {} },
    'bob-1',
  );
  const push = await waitFor(() => service.received.find((r) => r.path === '/push/ann'), 90_000, 'a push to ann');
  const said = JSON.parse(open(ann, push.body)) as {
    title: string;
    body: string;
    url: string;
    tag: string;
    image: string | null;
  };
  const id = said.url.replace('/review/', '');
  const item = (await (await app.api(`/api/review/${id}`)).json()) as {
    stream: string;
    severity: string;
    labels: string[];
  };
  await waitFor(async () => (await store.get('bob-1')) === null, 10_000, 'the gone subscription removed');
  expect({
    said: { ...said, body: said.body.replace(/\d\d:\d\d$/, 'HH:MM') },
    item: [item.stream, item.severity, item.labels.includes('person')],
    ann: (await store.get('ann-1'))?.sent,
    counts: { sent: app.rt.notifier?.counts.sent, gone: app.rt.notifier?.counts.gone },
    keys: (await stat(join(app.state, 'notify', 'vapid.json'))).mode & 0o777,
  }).toEqual({
    said: {
      title: 'Person at table',
      body: 'Alert in scene · HH:MM',
      url: `/review/${id}`,
      tag: `fovea-review-${id}`,
      image: expect.any(String),
    },
    item: ['table', 'alert', true],
    ann: 1,
    counts: { sent: 1, gone: 1 },
    keys: 0o600,
  });
}, 120_000);
