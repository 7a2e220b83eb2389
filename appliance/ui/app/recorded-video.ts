/**
 * @module Recorded video in the browser, as live video is: the box streams fragmented MP4 from a
 * moment on (GET /api/recordings/:stream/play.mp4) and Media Source Extensions play it while it
 * comes, so playback runs on across segments to the end of the recorded stretch. The response is
 * read only while less than BUFFER_AHEAD_S is buffered ahead (the box's ffmpeg waits on the pipe),
 * and what was played long ago is trimmed. Says where the video starts on the wall clock.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';

export type RecordedState =
  | { status: 'loading' }
  | { status: 'playing'; start: number }
  | { status: 'unavailable'; why: string };

const BUFFER_AHEAD_S = 30;
const KEEP_BEHIND_S = 60;

/** Play `path` (a play.mp4 address, or null for nothing) in `video`. */
export function useRecordedVideo(path: string | null, video: HTMLVideoElement | null): RecordedState {
  const [state, setState] = useState<RecordedState>({ status: 'loading' });
  useEffect(() => {
    if (!path || !video) return;
    if (typeof MediaSource === 'undefined') {
      setState({ status: 'unavailable', why: 'this browser cannot play recordings (no Media Source Extensions)' });
      return;
    }
    let stopped = false;
    let url: string | null = null;
    const abort = new AbortController();
    setState({ status: 'loading' });
    (async () => {
      const r = await api(path, { signal: abort.signal });
      if (!r.ok) {
        const body = (await r.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(body?.error?.message ?? `the recording could not be played (${r.status})`);
      }
      const mime = r.headers.get('x-mime') ?? '';
      if (!MediaSource.isTypeSupported(mime)) throw new Error(`this browser cannot play ${mime}`);
      const playStart = Date.parse(r.headers.get('x-play-start') ?? '');
      const ms = new MediaSource();
      url = URL.createObjectURL(ms);
      video.src = url;
      await new Promise((ok) => ms.addEventListener('sourceopen', ok, { once: true }));
      const sb = ms.addSourceBuffer(mime);
      const idle = () => new Promise((ok) => sb.addEventListener('updateend', ok, { once: true }));
      const ahead = () => {
        const b = video.buffered;
        return b.length ? b.end(b.length - 1) - video.currentTime : 0;
      };
      const reader = r.body!.getReader();
      let started = false;
      for (;;) {
        while (!stopped && ahead() > BUFFER_AHEAD_S)
          await new Promise((ok) => video.addEventListener('timeupdate', ok, { once: true }));
        if (stopped) return void reader.cancel();
        const { value, done } = await reader.read();
        if (done) break;
        sb.appendBuffer(value);
        await idle();
        const b = video.buffered;
        if (!started && b.length) {
          started = true;
          // Where the first picture is on the wall clock: the play start at the first buffered time.
          video.dataset.clipStart = String(playStart - b.start(0) * 1000);
          video.currentTime = b.start(0);
          setState({ status: 'playing', start: playStart });
          void video.play().catch(() => undefined);
        }
        if (b.length && video.currentTime - b.start(0) > 2 * KEEP_BEHIND_S) {
          sb.remove(b.start(0), video.currentTime - KEEP_BEHIND_S);
          await idle();
        }
      }
      if (ms.readyState === 'open') ms.endOfStream();
    })().catch((e: Error) => {
      if (!stopped) setState({ status: 'unavailable', why: e.message });
    });
    return () => {
      stopped = true;
      abort.abort();
      video.removeAttribute('src');
      video.load();
      if (url) URL.revokeObjectURL(url);
    };
  }, [path, video]);
  return state;
}
