/**
 * @module Live video in the browser: the stream's fragmented MP4 from /ws/live/:id fed to Media Source
 * Extensions, kept near the live edge (the buffer is trimmed behind and skipped ahead when it lags),
 * and, from the same socket, the detections of each frame as it is analysed, to draw over it. When
 * the browser or the box cannot play it (a codec, the viewer cap, live video off), the caller falls
 * back to the analysed frames and shows why.
 */
import { useEffect, useState } from 'preact/hooks';
import { credential, wsHref } from './api';
import type { OverlayData } from './components/overlay';

export type VideoState =
  | { status: 'connecting'; why: string | null }
  | { status: 'playing' }
  | { status: 'unavailable'; why: string };

/** Close codes after which trying again would not help (see api/live.ts). */
const FINAL = new Set([4013, 4015]);
/** Seconds behind the newest buffered picture before playback jumps ahead. */
const MAX_LAG_S = 1.5;
/** Seconds of played video kept in the buffer. */
const KEEP_S = 10;

const protocols = (p: string) => {
  const c = credential();
  return c ? [p, `bearer.${c}`] : [p];
};

export type LiveOverlay = OverlayData & { seq: number };

/** Play a stream's live video in `video` (when mounted); says how it goes, and what to draw over it. */
export function useLiveVideo(
  id: string,
  video: HTMLVideoElement | null,
): { state: VideoState; overlay: LiveOverlay | null } {
  const [state, setState] = useState<VideoState>({ status: 'connecting', why: null });
  const [overlay, setOverlay] = useState<LiveOverlay | null>(null);
  useEffect(() => {
    if (!video) return;
    if (typeof MediaSource === 'undefined') {
      setState({ status: 'unavailable', why: 'this browser cannot play live video (no Media Source Extensions)' });
      return;
    }
    let stopped = false;
    let ws: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let objectUrl: string | null = null;
    const open = () => {
      let sb: SourceBuffer | null = null;
      const queue: ArrayBuffer[] = [];
      let started = false;
      const pump = () => {
        if (!sb || sb.updating) return;
        const b = video.buffered;
        if (b.length) {
          const end = b.end(b.length - 1);
          if (end - video.currentTime > MAX_LAG_S) video.currentTime = end - 0.2;
          if (video.currentTime - b.start(0) > 2 * KEEP_S) {
            sb.remove(b.start(0), video.currentTime - KEEP_S);
            return;
          }
        }
        const next = queue.shift();
        if (next) sb.appendBuffer(next);
      };
      ws = new WebSocket(wsHref(`ws/live/${encodeURIComponent(id)}`), protocols('fmp4'));
      ws.binaryType = 'arraybuffer';
      ws.onmessage = (m) => {
        if (typeof m.data !== 'string') {
          queue.push(m.data as ArrayBuffer);
          return pump();
        }
        const msg = JSON.parse(m.data) as { type: 'init'; mime: string } | ({ type: 'overlay' } & LiveOverlay);
        if (msg.type === 'overlay') return setOverlay(msg);
        const hello = msg;
        if (!MediaSource.isTypeSupported(hello.mime)) {
          stopped = true;
          ws?.close();
          return setState({ status: 'unavailable', why: `this browser cannot play ${hello.mime}` });
        }
        const ms = new MediaSource();
        if (objectUrl) URL.revokeObjectURL(objectUrl);
        objectUrl = URL.createObjectURL(ms);
        video.src = objectUrl;
        ms.addEventListener(
          'sourceopen',
          () => {
            sb = ms.addSourceBuffer(hello.mime);
            // Fragments play one after the other, whatever their timestamps (a skipped stretch leaves no gap).
            sb.mode = 'sequence';
            sb.addEventListener('updateend', () => {
              if (!started && video.buffered.length) {
                started = true;
                failures = 0;
                setState({ status: 'playing' });
                void video.play().catch(() => undefined);
              }
              pump();
            });
            pump();
          },
          { once: true },
        );
      };
      ws.onclose = (e) => {
        if (stopped) return;
        if (FINAL.has(e.code)) return setState({ status: 'unavailable', why: e.reason });
        failures = started ? 0 : failures + 1;
        if (failures >= 3)
          return setState({ status: 'unavailable', why: e.reason || 'live video could not start on this box' });
        setState({ status: 'connecting', why: e.reason || null });
        retry = setTimeout(open, 2000);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      ws?.close();
      video.removeAttribute('src');
      video.load();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [id, video]);
  return { state, overlay };
}
