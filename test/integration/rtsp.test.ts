/**
 * Real RTSP (GStreamer's rtsp-server on loopback) through real ffmpeg: Basic and Digest auth, wrong
 * credentials, a server that dies and comes back, and credentials kept out of logs and the API.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { VIDEOS, startAppliance, stream, waitFor } from '../helpers/fixtures';
import { startRtsp } from '../helpers/rtsp';
import { configureLogs } from '../../appliance/shared/log';

const PASSWORD = 'Sup3r-Secret!pw';
const lines: string[] = [];
beforeAll(() => configureLogs({ sink: (l) => lines.push(l) }));
afterAll(() => configureLogs({ level: 'error', sink: (l) => process.stdout.write(`${l}\n`) }));

const cam = (id: string, url: string, auth: 'basic' | 'digest' | 'none', password = PASSWORD) =>
  stream({
    id,
    url,
    auth,
    username: 'admin',
    password,
    pipeline: 'objects',
    fps: 2,
    realtime: true,
    overrides: { 'events.count': false },
  });

describe('RTSP', () => {
  test('Digest and Basic with the right credentials stream; wrong ones end in unauthorized, not a loop', async () => {
    await using digest = await startRtsp({ auth: 'digest', password: PASSWORD });
    await using basic = await startRtsp({ auth: 'basic', password: PASSWORD });
    await using app = await startAppliance({
      log: { level: 'debug' },
      streams: [
        cam('digest', digest.url, 'digest'),
        cam('basic', basic.url, 'basic'),
        cam('wrong', digest.url, 'digest', 'not-the-password'),
      ],
    });
    await waitFor(
      () => ['digest', 'basic'].every((id) => app.rt.streams.get(id)!.view().frames_analysed > 3),
      30_000,
      'both cameras analysed',
    );
    const wrong = await waitFor(
      () => {
        const v = app.rt.streams.get('wrong')!.view();
        return v.state === 'unauthorized' && v;
      },
      20_000,
      'unauthorized',
    );
    expect([wrong.last_error, wrong.restarts, Date.parse(wrong.next_retry_at!) - Date.now()]).toEqual([
      'unauthorized: 401 Unauthorized',
      1,
      expect.above(50_000),
    ]);
    const api = await (await app.api('/api/streams')).text();
    expect(api).toContain(`rtsp://127.0.0.1:${digest.port}/stream`);
    // The logs did carry ffmpeg's lines about the URL (so the check below means something), masked.
    expect(lines.join('\n')).toContain(`rtsp://***@127.0.0.1:${digest.port}/stream`);
    for (const text of [api, lines.join('\n')]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('not-the-password');
      expect(text).not.toContain(encodeURIComponent(PASSWORD));
    }
  }, 90_000);

  test('the server dies mid-stream: backoff, then recovery; another stream is not disturbed', async () => {
    const server = await startRtsp({ auth: 'none' });
    await using app = await startAppliance({
      streams: [
        cam('live', server.url, 'none'),
        stream({
          id: 'file',
          url: join(VIDEOS, 'people-detection_from-gif.mp4'),
          pipeline: 'objects',
          fps: 2,
          loop: true,
          realtime: true,
        }),
      ],
    });
    await waitFor(() => app.rt.streams.get('live')!.view().state === 'running', 30_000, 'live running');
    await server.stop();
    const down = await waitFor(
      () => {
        const v = app.rt.streams.get('live')!.view();
        return v.state === 'backoff' && v;
      },
      30_000,
      'backoff',
    );
    const fileBefore = app.rt.streams.get('file')!.view().frames_analysed;
    await using again = await startRtsp({ auth: 'none', port: server.port });
    const back = await waitFor(
      () => {
        const v = app.rt.streams.get('live')!.view();
        return v.state === 'running' && v.frames_decoded > down.frames_decoded && v;
      },
      40_000,
      'recovered',
    );
    const file = app.rt.streams.get('file')!.view();
    expect([down.restarts, back.state, file.state, file.frames_analysed, file.restarts]).toEqual([
      expect.atLeast(1),
      'running',
      'running',
      expect.above(fileBefore),
      0,
    ]);
    expect(again.port).toBe(server.port);
  }, 120_000);
});
