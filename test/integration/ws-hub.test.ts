/**
 * The WebSocket hub against a real DuckDB and the real result writer, with in-memory sockets: the
 * replay/live seam under a steady stream of commits, filters, lagging and dead clients.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { Db } from '../../appliance/store/duckdb';
import { migrate } from '../../appliance/store/migrate';
import { DuckDbSink, eventsAfter, seqOfEvent } from '../../appliance/store/results';
import { CLOSE, WsHub, parseSubscription, type WsConn } from '../../appliance/publish/ws-hub';
import { createLogger } from '../../appliance/shared/log';
import { tempDir } from '../helpers/fixtures';
import { eventRecord } from '../helpers/events';

class FakeConn implements WsConn {
  texts: string[] = [];
  buffered = 0;
  closed: [number, string] | null = null;
  terminated = false;
  pings = 0;
  send(t: string) {
    this.texts.push(t);
  }
  bufferedAmount() {
    return this.buffered;
  }
  close(code: number, reason: string) {
    this.closed = [code, reason];
  }
  terminate() {
    this.terminated = true;
  }
  ping() {
    this.pings++;
  }
  get messages() {
    return this.texts.map((t) => JSON.parse(t));
  }
  get eventIds() {
    return this.messages.filter((m) => m.id).map((m) => m.id as string);
  }
}

async function setup({ maxBufferBytes = 1 << 20, maxClients = 4 } = {}) {
  const dir = await tempDir();
  const db = await Db.open(join(dir.path, 'h.duckdb'));
  await migrate(db);
  const sink = await DuckDbSink.open(db);
  const hub = new WsHub({
    replay: (a, s, l) => eventsAfter(db, a, s, l),
    seqOf: (id) => seqOfEvent(db, id),
    committedSeq: () => sink.committedSeq,
    maxBufferBytes,
    maxClients,
    log: createLogger({ test: true }),
  });
  sink.onCommitted((rows) => hub.events(rows));
  return {
    db,
    sink,
    hub,
    async [Symbol.asyncDispose]() {
      await sink.flush();
      db.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

describe('WebSocket hub', () => {
  test('a client resuming mid-stream gets every later event exactly once, in order, across the replay/live seam', async () => {
    await using s = await setup();
    const first = new FakeConn();
    s.hub.open(first, 'http://box');
    const ids: string[] = [];
    // Subscriptions start at several points and replay while the writer keeps committing
    // (ids holds committed events). Not awaited here, so the replay and the commits interleave.
    const late: Array<{ conn: FakeConn; since: string }> = [];
    const replays: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) {
      const r = eventRecord(i, i % 2 ? 'a' : 'b');
      await s.sink.event(r);
      ids.push(r.id);
      if (i === 50 || i === 150 || i === 300) {
        const conn = new FakeConn();
        const id = s.hub.open(conn, 'http://box')!;
        late.push({ conn, since: ids[i - 25]! });
        replays.push(s.hub.message(id, JSON.stringify({ type: 'subscribe', since: ids[i - 25] })));
      }
    }
    await Promise.all(replays);
    await s.sink.flush();
    expect(first.eventIds).toEqual(ids);
    for (const { conn, since } of late) {
      expect(conn.eventIds).toEqual(ids.slice(ids.indexOf(since) + 1));
      const seqs = conn.messages.filter((m) => m.id).map((m) => m.seq as number);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(conn.messages.some((m) => m.event === 'subscribed')).toBe(true);
    }
  });

  test('filters by stream and event; frames are live only; the envelope has the documented fields', async () => {
    await using s = await setup();
    const conn = new FakeConn();
    const id = s.hub.open(conn, 'http://box:8080')!;
    await s.hub.message(id, { type: 'subscribe', streams: ['a'], events: ['enter', 'frameAnalyzed'] });
    for (let i = 0; i < 9; i++) await s.sink.event(eventRecord(i, i % 2 ? 'a' : 'b'));
    await s.hub.detections({
      sessionId: 's',
      revision: null,
      timestamp: 't',
      event: 'frameAnalyzed',
      payload: { stream: 'a', frame: 1, pts: 0, detections: [] },
    });
    await s.hub.detections({
      sessionId: 's',
      revision: null,
      timestamp: 't',
      event: 'frameAnalyzed',
      payload: { stream: 'b', frame: 1, pts: 0, detections: [] },
    });
    const got = conn.messages.filter((m) => m.event !== 'subscribed');
    expect(got.map((m) => [m.event, m.payload.stream])).toEqual([
      ['enter', 'a'],
      ['enter', 'a'],
      ['enter', 'a'],
      ['frameAnalyzed', 'a'],
    ]);
    expect(Object.keys(got[0]).sort()).toEqual(['event', 'id', 'payload', 'seq', 'sessionId', 'timestamp']);
    expect(got[0].payload).toMatchObject({ stream: 'a', label: 'person', type: 'enter', zone: 'door', track_id: 1 });
  });

  test('bad messages get an error and the client stays; an unknown since is said, then live', async () => {
    await using s = await setup();
    const conn = new FakeConn();
    const id = s.hub.open(conn, 'http://box')!;
    await s.hub.message(id, 'not json');
    await s.hub.message(id, { type: 'subscribe', streams: 'a' });
    await s.hub.message(id, { type: 'subscribe', since: '0190aaaa-0000-7000-8000-000000000000' });
    await s.sink.event(eventRecord(1));
    await s.sink.flush();
    expect(conn.messages.map((m) => m.payload.code ?? m.event)).toEqual([
      'bad_message',
      'bad_message',
      'since_not_found',
      'enter',
    ]);
    expect(parseSubscription('{"type":"subscribe","since":5}')).toBe('since must be an event id');
  });

  test('a client over its buffer gets lagged and is cut; the others keep receiving', async () => {
    await using s = await setup({ maxBufferBytes: 1000 });
    const slow = new FakeConn();
    const fast = new FakeConn();
    s.hub.open(slow, 'http://box');
    s.hub.open(fast, 'http://box');
    slow.buffered = 5000;
    for (let i = 0; i < 5; i++) await s.sink.event(eventRecord(i));
    expect(slow.closed).toEqual([CLOSE.lagged, 'lagged']);
    expect(slow.messages.map((m) => m.event)).toEqual(['lagged']);
    expect(fast.eventIds.length).toBe(5);
    expect(s.hub.status()).toMatchObject({ clients: 1, lagged_cut: 1 });
  });

  test('a client that does not answer a ping is dropped at the next one; the client limit holds', async () => {
    await using s = await setup({ maxClients: 3 });
    const a = new FakeConn();
    const b = new FakeConn();
    const ida = s.hub.open(a, 'x')!;
    s.hub.open(b, 'x');
    s.hub.heartbeat();
    s.hub.pong(ida);
    s.hub.heartbeat();
    expect([a.pings, a.terminated, b.pings, b.terminated]).toEqual([2, false, 1, true]);
    s.hub.open(new FakeConn(), 'x');
    s.hub.open(new FakeConn(), 'x');
    const refused = new FakeConn();
    expect(s.hub.open(refused, 'x')).toBeNull();
    expect(refused.closed?.[0]).toBe(CLOSE.full);
  });
});
