/**
 * The reference WebSocket client across a real server restart: it backs off 1, 2, 5 s while the
 * box is down and resumes after its last event, receiving every stored event once, in order.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { eventsAfter } from '../../appliance/store/results';
import { FoveaClient, type ClientState, type FoveaMessage } from '../../appliance/publish/ws-client';
import { signHs256 } from '../../appliance/auth/jwt';
import { VIDEOS, startAppliance, stream, tempDir, waitFor } from '../helpers/fixtures';
import { freePort } from '../helpers/rtsp';

const SECRET = 'ws-client-test-secret-of-at-least-32-bytes';
const jwt = { hs256_secret: SECRET, eddsa_public_keys: [], audience: 'fovea', issuer: '', clock_tolerance_s: 0 };

test('the reference client survives a server restart and resumes with no gap and no duplicate', async () => {
  await using state = await tempDir();
  const port = await freePort();
  const video = join(VIDEOS, 'one-by-one-person-detection.mp4');
  const api = { port, jwt };
  // First run: in real time, so events keep coming while the client is connected.
  const first = await startAppliance(
    { api, streams: [stream({ id: 'table', url: video, pipeline: 'people', fps: 5, realtime: true })] },
    state.path,
  );
  const events: FoveaMessage[] = [];
  const states: ClientState[] = [];
  const client = new FoveaClient({
    url: `ws://127.0.0.1:${port}/ws/analysis`,
    token: await signHs256(SECRET, jwt, 'test', 600),
    onMessage: (m) => {
      if (m.id) events.push(m);
    },
    onState: (s) => states.push(s),
  }).start();
  await waitFor(() => events.length >= 3, 60_000, 'first events');
  await first[Symbol.asyncDispose]();
  const downAt = events.length;
  // Down until the client has tried at 1 s and 3 s and begun its 5 s wait; the second run commits
  // its events (as fast as inference goes) before the client is back.
  await waitFor(
    () => states.filter((s) => s.state === 'waiting').length >= 3,
    20_000,
    'the client to back off 1, 2, then 5 s',
  );
  const second = await startAppliance(
    { api, streams: [stream({ id: 'table', url: video, pipeline: 'people', fps: 2 })] },
    state.path,
  );
  await waitFor(() => second.rt.streams.get('table')!.view().state === 'stopped', 120_000, 'second run analysed');
  await second.rt.sink.flush();
  const stored = (await eventsAfter(second.rt.db, 0, {}, 100_000)).map((r) => r.id);
  await waitFor(() => events.at(-1)?.id === stored.at(-1), 30_000, 'the client to catch up');
  client.close();
  await second[Symbol.asyncDispose]();

  const ids = events.map((e) => e.id);
  const waits = states.filter((s) => s.state === 'waiting').map((s) => (s as { delayS: number }).delayS);
  expect(ids).toEqual(stored.slice(stored.indexOf(ids[0]!)));
  expect({ resumed: events.length - downAt > 10 && 'over 10', waits: waits.slice(0, 3) }).toEqual({
    resumed: 'over 10',
    waits: [1, 2, 5],
  });
}, 240_000);
