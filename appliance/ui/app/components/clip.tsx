/**
 * @module Clips from the box in a <video>: the API needs the credential, which a video's src cannot
 * send, so a clip is fetched whole (a few MB: the box cuts it by stream copy) and played from an
 * object URL. Says why when there is no recording of the span. Also the MP4 download of a range.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';

export interface LoadedClip {
  url: string;
  /** Wall-clock ms of the clip's first frame (the keyframe at or before the asked start). */
  start: number;
  end: number;
}

/** A clip's object URL and span, or why there is none; null path: nothing. Revoked when replaced. */
export function useClip(path: string | null): { clip: LoadedClip | null; error: string | null; loading: boolean } {
  const [state, setState] = useState<{ clip: LoadedClip | null; error: string | null; loading: boolean }>({
    clip: null,
    error: null,
    loading: false,
  });
  const current = useRef<string | null>(null);
  useEffect(() => {
    if (!path) return;
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    (async () => {
      const r = await api(path);
      if (!r.ok) {
        const body = (await r.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(body?.error?.message ?? `the clip could not be loaded (${r.status})`);
      }
      const clip = {
        url: URL.createObjectURL(await r.blob()),
        start: Date.parse(r.headers.get('x-clip-start') ?? ''),
        end: Date.parse(r.headers.get('x-clip-end') ?? ''),
      };
      if (!live) return URL.revokeObjectURL(clip.url);
      if (current.current) URL.revokeObjectURL(current.current);
      current.current = clip.url;
      setState({ clip, error: null, loading: false });
    })().catch((e: Error) => live && setState({ clip: null, error: e.message, loading: false }));
    return () => {
      live = false;
    };
  }, [path]);
  useEffect(
    () => () => {
      if (current.current) URL.revokeObjectURL(current.current);
    },
    [],
  );
  return state;
}

/** A clip in a player with its controls; `onTime` hears the wall-clock time it is at. */
export function ClipPlayer(p: {
  path: string | null;
  label: string;
  autoplay?: boolean;
  seekTo?: number | null;
  onTime?: (ms: number) => void;
  videoRef?: (v: HTMLVideoElement | null) => void;
}) {
  const { clip, error, loading } = useClip(p.path);
  const video = useRef<HTMLVideoElement | null>(null);
  useEffect(() => {
    const v = video.current;
    if (v && clip && p.seekTo != null) v.currentTime = Math.max(0, (p.seekTo - clip.start) / 1000);
  }, [clip, p.seekTo]);
  if (error) return <p class="why clip-missing">{error}</p>;
  if (!clip) return <p class="muted">{loading ? 'Loading the clip…' : ''}</p>;
  return (
    <video
      ref={(v) => {
        video.current = v;
        p.videoRef?.(v);
      }}
      class="clip"
      src={clip.url}
      controls
      muted
      playsInline
      autoplay={p.autoplay}
      aria-label={p.label}
      data-clip-start={clip.start}
      onTimeUpdate={(e) => p.onTime?.(clip.start + (e.target as HTMLVideoElement).currentTime * 1000)}
    />
  );
}

/** Download a clip of the box as a file (the name the box gives it). */
export async function downloadClip(path: string): Promise<void> {
  const r = await api(path);
  if (!r.ok) {
    const body = (await r.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `the export failed (${r.status})`);
  }
  const name = /filename="([^"]+)"/.exec(r.headers.get('content-disposition') ?? '')?.[1] ?? 'clip.mp4';
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await r.blob());
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}
