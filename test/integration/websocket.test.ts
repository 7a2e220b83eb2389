/**
 * /ws/analysis on a real appliance: tokens (JWT HS256/EdDSA, API key; header, subprotocol, query),
 * replay since an event id over a real video run, a stopped client cut with `lagged` while another
 * keeps every frame, and a client that never answers pings dropped.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { Db } from '../../appliance/store/duckdb';
import { migrate } from '../../appliance/store/migrate';
import { DuckDbSink, eventsAfter } from '../../appliance/store/results';
import { VIDEOS, startAppliance, stream, tempDir, waitFor } from '../helpers/fixtures';
import { eventRecord } from '../helpers/events';
import { record, stuckClient } from '../helpers/ws';

const SECRET = 'websocket-test-secret-of-at-least-32-bytes';
const now = () => Math.floor(Date.now() / 1000);
const wsUrl = (http: string, query = '') => `${http.replace(/^http/, 'ws')}/ws/analysis${query}`;

describe('WebSocket /ws/analysis', () => {
  test('valid HS256, EdDSA and API-key tokens open it by header, subprotocol or query; expired, wrong-key and alg none do not', async () => {
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    await using app = await startAppliance({
      api: {
        port: 0,
        jwt: {
          hs256_secret: SECRET,
          eddsa_public_keys: [await exportSPKI(ed.publicKey)],
          audience: 'fovea',
          issuer: '',
          clock_tolerance_s: 0,
        },
      },
    });
    const hs = (claims: Record<string, unknown>, secret = SECRET) =>
      new SignJWT({ aud: 'fovea', exp: now() + 60, sub: 'dash', ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(secret));
    const valid = await hs({});
    const eddsa = await new SignJWT({ aud: 'fovea', exp: now() + 60 })
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(ed.privateKey);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

    const opened = await Promise.all([
      record(wsUrl(app.url), { headers: { authorization: `Bearer ${valid}` } }),
      record(wsUrl(app.url), { protocols: ['json', `bearer.${valid}`] }),
      record(wsUrl(app.url, `?token=${eddsa}`)),
      record(wsUrl(app.url), { headers: { 'x-api-key': app.key } }),
    ]);
    expect(opened.map((c) => c.protocol)).toEqual(['json', 'json', 'json', 'json']);
    for (const c of opened) c.ws.close();

    const refused = {
      none: '',
      expired: await hs({ exp: now() - 5 }),
      wrongKey: await hs({}, 'not-the-configured-secret-but-long-enough!!'),
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ aud: 'fovea', exp: now() + 60, sub: 'x' })}.`,
      badKey: 'fov_00000000_nope',
    };
    const answers: Record<string, [number, string]> = {};
    for (const [name, token] of Object.entries(refused)) {
      // Refused before the upgrade: a plain GET shows the status and the reason a client would get.
      const res = await fetch(wsUrl(app.url).replace(/^ws/, 'http'), {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      answers[name] = [res.status, ((await res.json()) as { error: { message: string } }).error.message];
      await expect(
        record(wsUrl(app.url), { headers: token ? { authorization: `Bearer ${token}` } : {} }),
      ).rejects.toThrow('refused');
    }
    expect(answers).toEqual({
      none: [401, 'a token is required: Authorization: Bearer, subprotocol bearer.<token>, or ?token='],
      expired: [401, 'the token is not valid: expired'],
      wrongKey: [401, 'the token is not valid: signature does not verify with any configured key'],
      algNone: [401, 'the token is not valid: algorithm not allowed (HS256 and EdDSA only)'],
      badKey: [401, 'the API key is not valid'],
    });
    // A subprotocol other than json is refused.
    expect(
      (
        await fetch(wsUrl(app.url).replace(/^ws/, 'http'), {
          headers: { 'x-api-key': app.key, 'sec-websocket-protocol': 'mqtt' },
        })
      ).status,
    ).toBe(400);
  }, 60_000);

  test('a video run: live, and resumed mid-run and after it from an event id, with no gap and no duplicate', async () => {
    await using app = await startAppliance({
      streams: [
        stream({ id: 'table', url: join(VIDEOS, 'one-by-one-person-detection.mp4'), pipeline: 'people', fps: 2 }),
      ],
    });
    const headers = { 'x-api-key': app.key };
    const live = await record(wsUrl(app.url), { headers });
    await waitFor(() => live.eventIds().length >= 6, 60_000, 'some live events');
    const mid = await record(wsUrl(app.url), { headers });
    const from = live.eventIds()[2]!;
    mid.send({ type: 'subscribe', since: from });
    await waitFor(() => app.rt.streams.get('table')!.view().state === 'stopped', 120_000, 'video analysed');
    await app.rt.sink.flush();

    const stored = (await eventsAfter(app.rt.db, 0, {}, 100_000)).map((r) => r.id);
    const after = await record(wsUrl(app.url), { headers });
    after.send({ type: 'subscribe', since: stored[0], streams: ['table'], events: ['enter', 'leave'] });
    await waitFor(() => after.messages.some((m) => m.event === 'subscribed'), 10_000, 'the replay');
    await waitFor(
      () => live.eventIds().length >= stored.length - stored.indexOf(live.eventIds()[0]!),
      10_000,
      'the last live events',
    );

    const liveIds = live.eventIds();
    expect(liveIds).toEqual(stored.slice(stored.indexOf(liveIds[0]!)));
    expect(mid.eventIds()).toEqual(stored.slice(stored.indexOf(from) + 1));
    const enterLeave = (await eventsAfter(app.rt.db, 0, { streams: ['table'], types: ['enter', 'leave'] }, 100_000))
      .map((r) => r.id)
      .slice(1);
    expect([enterLeave.length, after.eventIds()]).toEqual([
      expect.above(2),
      enterLeave.filter((id) => id !== stored[0]),
    ]);
    const first = mid.messages.find((m) => m.id)!;
    expect(Object.keys(first).sort()).toEqual(['event', 'id', 'payload', 'seq', 'sessionId', 'timestamp']);
    expect(first.payload).toMatchObject({ stream: 'table', id: first.id });
    // Per-frame messages (the publish stage's default: one per second of video) reach live clients.
    expect(live.messages.filter((m) => m.event === 'frameAnalyzed').length).toBeGreaterThan(20);
    for (const c of [live, mid, after]) c.ws.close();
  }, 180_000);

  test('a client that stops reading is sent lagged and cut; another gets every frame and the camera drops none', async () => {
    await using state = await tempDir();
    // A stored history to resume from, large enough (~10 MB of JSON) to fill the socket buffers.
    const db = await Db.open(join(state.path, 'fovea.duckdb'));
    await migrate(db);
    const sink = await DuckDbSink.open(db);
    const seeded = Array.from({ length: 14_000 }, (_, i) => eventRecord(i, 'old'));
    await Promise.all(seeded.map((e) => sink.event(e)));
    await sink.flush();
    db.close();

    await using app = await startAppliance(
      {
        api: { port: 0, ws: { ping_interval_s: 30, max_buffer_bytes: 256 * 1024, max_clients: 16 } },
        // In real time, as a camera: if publishing held the pipeline back, frames would be dropped.
        streams: [
          stream({
            id: 'table',
            url: join(VIDEOS, 'one-by-one-person-detection.mp4'),
            pipeline: 'people',
            fps: 5,
            realtime: true,
            overrides: { 'publish.detections_per_s': 100 },
          }),
        ],
      },
      state.path,
    );
    const fast = await record(wsUrl(app.url), { headers: { 'x-api-key': app.key } });
    await using stuck = await stuckClient(wsUrl(app.url, `?token=${app.key}`), {
      type: 'subscribe',
      since: seeded[0]!.id,
    });
    await waitFor(() => app.rt.hub.status().lagged_cut === 1, 30_000, 'the stopped client cut');
    const seen = await stuck.resume();
    const framesOf = () => fast.messages.filter((m) => m.event === 'frameAnalyzed').map((m) => m.payload.frame!);
    await waitFor(() => framesOf().length >= 30, 30_000, 'frames at the other client');
    const frames = framesOf();
    const view = app.rt.streams.get('table')!.view();
    expect(seen.last.at(-1)).toBe('lagged');
    expect([seen.code, seen.received, app.rt.hub.status().clients]).toEqual([4008, expect.below(seeded.length), 1]);
    expect([frames.length, frames.every((f, i) => i === 0 || f === frames[i - 1]! + 1), view.dropped]).toEqual([
      expect.above(20),
      true,
      0,
    ]);
    fast.ws.close();
  }, 120_000);

  test('a client that does not answer pings is dropped', async () => {
    await using app = await startAppliance({
      api: { port: 0, ws: { ping_interval_s: 1, max_buffer_bytes: 1 << 20, max_clients: 16 } },
    });
    const ok = await record(wsUrl(app.url), { headers: { 'x-api-key': app.key } });
    // Stopped, it cannot answer a ping; the kernel alone does not.
    await using stuck = await stuckClient(wsUrl(app.url, `?token=${app.key}`), { type: 'subscribe' });
    await waitFor(() => app.rt.hub.status().dead_dropped === 1, 10_000, 'the silent client dropped');
    stuck.proc.kill('SIGKILL');
    // Two more ping rounds: the answering client has had to answer a ping to be still there.
    const beats = app.rt.hub.status().heartbeats;
    await waitFor(() => app.rt.hub.status().heartbeats >= beats + 2, 10_000, 'two more ping rounds');
    expect({ clients: app.rt.hub.status().clients, state: ok.ws.readyState }).toEqual({
      clients: 1,
      state: WebSocket.OPEN,
    });
    ok.ws.close();
  }, 30_000);

  test('stopping the server closes its clients with 1001 rather than waiting on them', async () => {
    const app = await startAppliance();
    const c = await record(wsUrl(app.url), { headers: { 'x-api-key': app.key } });
    await app[Symbol.asyncDispose]();
    expect(await c.closed).toEqual({ code: 1001, reason: 'server shutting down' });
  }, 30_000);
});
