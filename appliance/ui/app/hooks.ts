/** @module Small hooks: polling JSON from the API while mounted, and object URLs of images. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { imageUrl, json } from './api';

const NONE: readonly number[] = [];

/** GET `path` now and every `everyMs` (0: once) while mounted and the tab is visible. */
export function usePoll<T>(
  path: string | null,
  everyMs = 0,
  /** Statuses besides 2xx whose body is the data (a constant: it is an effect dependency). */
  accept: readonly number[] = NONE,
): { data: T | null; error: Error | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          const d = await json<T>(path, {}, accept);
          if (live) {
            setData(d);
            setError(null);
          }
        } catch (e) {
          if (live) setError(e as Error);
        }
      }
      if (live && everyMs) timer = setTimeout(tick, everyMs);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [path, everyMs, n, accept]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

/** An object URL for an API image path (revoked when replaced or unmounted). */
export function useImage(path: string | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  const current = useRef<string | null>(null);
  useEffect(() => {
    if (!path) return;
    let live = true;
    imageUrl(path).then(
      (u) => {
        if (!live) return URL.revokeObjectURL(u);
        if (current.current) URL.revokeObjectURL(current.current);
        current.current = u;
        setUrl(u);
      },
      () => undefined,
    );
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
  return url;
}
