/**
 * @module Live: every stream's latest analysed frame with what was detected drawn over it, its
 * state (and why, in backoff), its rates and drops; and a ticker of events as they are stored.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, credential, wsHref } from '../api';
import { Overlay, type OverlayData } from '../components/overlay';
import { Badge } from '../components/ui';
import { usePoll } from '../hooks';
import { Link } from '../router';

export interface StreamView {
  id: string;
  url: string;
  pipeline: string;
  state: string;
  last_error: string | null;
  decoder: 'nvdec' | 'cpu';
  /** Why the decoder is not the configured one (NVDEC refused: decoding on the CPU). */
  decoder_note: string | null;
  next_retry_at: string | null;
  fps_in: number;
  fps_out: number;
  frames_analysed: number;
  dropped: number;
  queue_depth: number;
  restarts: number;
  stage_ms: Record<string, number>;
  /** Detection on, or switched off (Home Assistant's switch, or the stream's page). */
  detection: boolean;
  /** Motion gating, when the detector is gated on motion. */
  gating: {
    frames_with_motion: number;
    detector_skipped: number;
    skipped_share: number;
    regions_per_frame: number | null;
    stationary: number;
  } | null;
}

/** The newest frame of a stream (JPEG) with its overlay, fetched every `everyMs` while mounted. */
export function useLatestFrame(id: string, everyMs: number) {
  const [frame, setFrame] = useState<{ url: string; overlay: OverlayData } | null>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: string | null = null;
    const tick = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          // The overlay first, then the picture of that very frame, so the boxes match what is drawn.
          const ov = await api(`api/streams/${id}/latest`);
          const overlay = ov.ok ? ((await ov.json()) as OverlayData & { seq: number }) : null;
          const img = overlay ? await api(`api/streams/${id}/frame?seq=${overlay.seq}`) : null;
          if (overlay && img?.ok && live) {
            const url = URL.createObjectURL(await img.blob());
            setFrame({ url, overlay });
            if (last) URL.revokeObjectURL(last);
            last = url;
          }
        } catch {
          // The next tick tries again; the state badge says why a stream has no frame.
        }
      }
      if (live) timer = setTimeout(tick, everyMs);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
      if (last) URL.revokeObjectURL(last);
    };
  }, [id, everyMs]);
  return frame;
}

/** A stream's newest analysed frame with its overlay, refreshed every `everyMs`. */
export function LiveFrame(p: { id: string; everyMs: number; motion?: boolean }) {
  const frame = useLatestFrame(p.id, p.everyMs);
  return frame ? (
    <>
      <img src={frame.url} alt={`latest frame of ${p.id}`} />
      <Overlay data={frame.overlay} motion={p.motion} />
    </>
  ) : (
    <div class="img-placeholder">no frame yet</div>
  );
}

function StreamCard(p: { s: StreamView }) {
  const s = p.s;
  return (
    <article class="stream-card" data-stream={s.id}>
      <Link to={`/live/${encodeURIComponent(s.id)}`} class={`frame ${s.state === 'running' ? '' : 'stale'}`}>
        <LiveFrame id={s.id} everyMs={1000} />
      </Link>
      <div class="stream-meta">
        <strong>{s.id}</strong>
        <Badge state={s.state} title={s.last_error ?? undefined} />
        {s.detection === false && (
          <Badge state="detection_off" title="Detection is switched off: the stream still shows and records" />
        )}
      </div>
      {s.last_error && s.state !== 'running' && <p class="why">{s.last_error}</p>}
      {s.decoder_note && <p class="why">{s.decoder_note}</p>}
      <dl class="rates">
        <div>
          <dt>camera</dt>
          <dd>{s.fps_in} fps</dd>
        </div>
        <div>
          <dt>analysed</dt>
          <dd>{s.fps_out} fps</dd>
        </div>
        <div>
          <dt>skipped</dt>
          <dd>{Math.max(0, Math.round((s.fps_in - s.fps_out) * 10) / 10)} fps</dd>
        </div>
        <div>
          <dt>queue</dt>
          <dd>{s.queue_depth}</dd>
        </div>
        <div>
          <dt>dropped</dt>
          <dd>{s.dropped}</dd>
        </div>
      </dl>
    </article>
  );
}

export interface EventView {
  id: string;
  stream: string;
  timestamp: string;
  type: string;
  label: string;
  track_id: number | null;
  zone: string | null;
  line: string | null;
  direction: string | null;
  count: number | null;
  image_id: string | null;
  revision: string | null;
}

/**
 * Events as they are stored, over /ws/analysis (the token goes in the bearer.<token> subprotocol),
 * seeded with the latest stored ones so the panel is never empty on a load; the socket then replays
 * from the newest of those, so nothing between the two is missed or shown twice.
 */
export function useEventFeed(max = 30): { events: EventView[]; connected: boolean } {
  const [events, setEvents] = useState<EventView[]>([]);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    let ws: WebSocket | null = null;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let lastId: string | null = null;
    const open = () => {
      const c = credential();
      ws = new WebSocket(wsHref('ws/analysis'), c ? ['json', `bearer.${c}`] : ['json']);
      ws.onopen = () => {
        setConnected(true);
        ws!.send(JSON.stringify({ type: 'subscribe', since: lastId }));
      };
      ws.onmessage = (m) => {
        const msg = JSON.parse(m.data as string) as { id?: string; event: string; payload: EventView };
        if (!msg.id || msg.event === 'frameAnalyzed') return;
        lastId = msg.id;
        setEvents((xs) => [msg.payload, ...xs].slice(0, max));
      };
      ws.onclose = () => {
        setConnected(false);
        if (!stopped) retry = setTimeout(open, 2000);
      };
    };
    void api(`api/events?limit=${max}`)
      .then(async (r) => (r.ok ? ((await r.json()) as { items: Array<EventView & { id: string }> }).items : []))
      .catch(() => [])
      .then((latest) => {
        if (stopped) return;
        if (latest.length) {
          lastId = latest[0]!.id;
          setEvents((xs) => (xs.length ? xs : latest));
        }
        open();
      });
    return () => {
      stopped = true;
      clearTimeout(retry);
      ws?.close();
    };
  }, [max]);
  return { events, connected };
}

export function describe(e: EventView): string {
  if (e.type === 'runCompleted') {
    const d = (e as EventView & { detail?: { status?: string; succeeded?: number; total?: number } }).detail;
    return `run of ${e.label} ${(d?.status ?? 'finished').replace(/_/g, ' ')} (${d?.succeeded ?? 0}/${d?.total ?? 0})`;
  }
  const detail = (
    e as EventView & {
      detail?: { sub_label?: [string, number]; text?: [string, number]; state?: string; previous?: string | null };
    }
  ).detail;
  if (e.type === 'state')
    return `${e.label}: ${detail?.state ?? '?'}${detail?.previous ? ` (was ${detail.previous})` : ''}`;
  // A classifier trained on the box named the object (person · delivery), or its plate was read (car · NA52BUU).
  const what = [e.label, detail?.sub_label?.[0], detail?.text?.[0]].filter(Boolean).join(' · ');
  if (e.type === 'cross') return `${what} #${e.track_id} crossed ${e.line} (${(e.direction ?? '').replace(/_/g, ' ')})`;
  if (e.type === 'count') return `${e.count} × ${e.label}`;
  return `${what} #${e.track_id} ${e.type === 'dwell' ? 'dwells in' : e.type === 'enter' ? 'entered' : 'left'} ${e.zone}`;
}

function Ticker() {
  const { events, connected } = useEventFeed();
  return (
    <aside class="ticker card" aria-label="Live events">
      <header class="card-head">
        <h2>Events</h2>
        <span class={`dot ${connected ? 'ok' : 'warn'}`} title={connected ? 'live' : 'reconnecting'} />
      </header>
      {events.length === 0 && <p class="muted">Waiting for events…</p>}
      <ol>
        {events.map((e) => (
          <li key={e.id} data-type={e.type} data-at={e.timestamp}>
            <time>{new Date(e.timestamp).toLocaleTimeString()}</time>
            <Link to={`/events/${e.id}`}>
              <b>{e.stream}</b> {describe(e)}
            </Link>
          </li>
        ))}
      </ol>
    </aside>
  );
}

export function Live() {
  const { data, error } = usePoll<{ items: StreamView[] }>('api/streams', 2000);
  return (
    <div class="live">
      <div class="grid">
        {error && <p class="error">{error.message}</p>}
        {data?.items.length === 0 && <p class="muted">No streams are configured on this box.</p>}
        {data?.items.map((s) => (
          <StreamCard key={s.id} s={s} />
        ))}
      </div>
      <Ticker />
    </div>
  );
}
