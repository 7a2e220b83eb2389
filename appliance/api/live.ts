/**
 * @module GET /ws/live/:id: a stream's live video for a browser (subprotocol `fmp4`; the token as on
 * /ws/analysis, best in a `bearer.<token>` subprotocol). The first message is JSON text
 * `{type:"init", mime, width, height}`, then binary: the fMP4 init segment, then fragments from a
 * keyframe on, for MediaSource. Between them, JSON text `{type:"overlay", …}` for each analysed frame
 * (as GET /api/streams/:id/latest answers): what to draw over the picture. A close code says why it ended (4013 full, 4010 source ended,
 * 4015 a codec browsers cannot play). The relay itself is LiveVideo.
 */
import { Elysia } from 'elysia';
import type { ServerWebSocket } from 'bun';
import type { LiveVideo } from '../ingest/live-video';
import type { Streams } from '../ingest/streams';
import { AppError } from '../shared/errors';
import { overlayOf } from '../pipeline/overlay';
import type { Frame } from '../pipeline/types';
import type { Pipeline } from '../pipeline/file';
import { errorResponse } from './errors';
import { chooseProtocol, holdSocket, protocolGate } from './ws';
import { pathOf, under } from './path';
import type { SocketLeases } from './socket-leases';

export const LIVE_PREFIX = '/ws/live/';
/** Bytes queued on a viewer's socket past which overlays are skipped (the video has its own rule). */
const OVERLAY_BACKLOG = 256 * 1024;
const PROTOCOL = 'fmp4';

export interface LiveOptions {
  live: LiveVideo;
  streams: Streams;
  leases: SocketLeases;
  enabled: boolean;
}

type Raw = ServerWebSocket<unknown>;

export const liveApi = (o: LiveOptions) => {
  const leaving = new WeakMap<Raw, () => void>();
  // One overlay message per frame, however many viewers the stream has (dropped with the frame).
  const overlays = new WeakMap<Frame, string>();
  const overlayText = (frame: Frame, pipeline: Pipeline) => {
    let text = overlays.get(frame);
    if (text === undefined) {
      text = JSON.stringify({ type: 'overlay', ...overlayOf(frame, pipeline) });
      overlays.set(frame, text);
    }
    return text;
  };
  const closed = new WeakSet<Raw>();
  return new Elysia({ name: 'api-live' })
    .onRequest(async ({ request }) => {
      const path = pathOf(request);
      if (!under(path, LIVE_PREFIX)) return;
      const denied = protocolGate(request, PROTOCOL);
      if (denied) return denied;
      const id = path.slice(LIVE_PREFIX.length);
      if (!o.streams.get(id)) return errorResponse(new AppError('not_found', `stream ${id} not found`));
      if (!o.enabled)
        return errorResponse(new AppError('unavailable', 'live video is off on this box (api.live_video)'));
    })
    .ws(`${LIVE_PREFIX}:id`, {
      detail: { summary: "A stream's live video as fragmented MP4 for MediaSource (subprotocol fmp4); see the docs" },
      upgrade: (ctx) => chooseProtocol(ctx.request, PROTOCOL, ctx.set.headers),
      async open(ws) {
        const raw = ws.raw as Raw;
        const id = (ws.data.params as { id: string }).id;
        const runner = o.streams.get(id);
        if (!runner) return raw.close(4004, `stream ${id} not found`);
        // The detections of each analysed frame, on the same socket as JSON text between the video.
        const unwatch = o.streams.watch(id, (frame) => {
          const r = o.streams.get(id);
          if (r && raw.getBufferedAmount() < OVERLAY_BACKLOG) raw.send(overlayText(frame, r.pipeline.pipeline));
        });
        // The stream's runner when the process starts (a restart of the stream replaces it).
        const stop = await o.live.watch(id, () => (o.streams.get(id) ?? runner).liveSource(), {
          send: (d) => {
            raw.send(d);
          },
          buffered: () => raw.getBufferedAmount(),
          close: (code, reason) => raw.close(code, reason),
        });
        const release = holdSocket(o.leases, ws.data.request, (code, reason) => raw.close(code, reason));
        const leave = () => {
          release();
          unwatch();
          stop();
        };
        // The socket may have closed while the process was being set up.
        if (closed.has(raw)) leave();
        else leaving.set(raw, leave);
      },
      // A viewer sends nothing; anything it sends is ignored.
      message() {},
      close(ws) {
        const raw = ws.raw as Raw;
        closed.add(raw);
        leaving.get(raw)?.();
        leaving.delete(raw);
      },
    });
};
