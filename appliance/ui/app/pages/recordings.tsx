/**
 * @module A stream's recordings on a timeline: what is recorded (a gap is a time with none), its
 * review items as marks, a click plays from that moment on (fragmented MP4 through Media Source, to
 * the end of the recorded stretch), and a range exports as an MP4.
 */
import { useState } from 'preact/hooks';
import { downloadClip } from '../components/clip';
import { useRecordedVideo } from '../recorded-video';
import { Badge, Card, ErrorLine } from '../components/ui';
import { usePoll } from '../hooks';
import { Link, navigate, useRoute } from '../router';

interface Timeline {
  start: string;
  end: string;
  spans: Array<{ start: string; end: string }>;
  items: Array<{ id: string; severity: string; labels: string[]; start: string; end: string | null }>;
}

const HOURS = [1, 6, 24] as const;
/** The least a fitted view shows. */
const MIN_VIEW_MS = 5 * 60_000;

/** datetime-local to the millisecond (local time) <-> epoch ms. */
const toLocal = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 23);
const fromLocal = (v: string) => new Date(v).getTime();
const clock = (ms: number) => new Date(ms).toLocaleTimeString();

/** Plays from `from` on to the end of that recorded stretch (Media Source), and says where it is. */
function RecordedPlayer(p: { id: string; from: number; label: string; onTime: (ms: number) => void }) {
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const state = useRecordedVideo(`api/recordings/${p.id}/play.mp4?start=${Math.round(p.from)}`, video);
  return (
    <>
      <video
        ref={setVideo}
        class="clip"
        controls
        muted
        playsInline
        aria-label={p.label}
        onTimeUpdate={(e) => {
          const v = e.target as HTMLVideoElement;
          if (v.dataset.clipStart) p.onTime(Number(v.dataset.clipStart) + v.currentTime * 1000);
        }}
      />
      {state.status === 'loading' && <p class="muted">Loading the recording…</p>}
      {state.status === 'unavailable' && <p class="why clip-missing">{state.why}</p>}
    </>
  );
}

/** The page, drawn afresh when its window changes (a new query). */
export function Recordings(p: { id: string }) {
  const { query } = useRoute();
  return <RecordingsView key={`${p.id}?${query}`} id={p.id} query={query} />;
}

function RecordingsView(p: { id: string; query: URLSearchParams }) {
  const query = p.query;
  const hours = Number(query.get('hours') ?? 0) || null;
  const at = Number(query.get('at') ?? 0) || null;
  // What is asked of the box: the last hours, or 10 minutes around `at` (an item's), or the last
  // day fitted to what is recorded in it; fixed while the page is open.
  const [asked] = useState(() => {
    const now = Date.now();
    if (at) return { start: at - MIN_VIEW_MS, end: Math.min(now, at + MIN_VIEW_MS) };
    return { start: now - (hours ?? 24) * 3_600_000, end: now };
  });
  const id = encodeURIComponent(p.id);
  const { data, error } = usePoll<Timeline>(`api/recordings/${id}?start=${asked.start}&end=${asked.end}`, 10_000);
  const first = data?.spans[0] ? Date.parse(data.spans[0].start) : null;
  const fit = !hours && !at && first !== null;
  const win = fit
    ? {
        start: Math.max(asked.start, Math.min(asked.end - MIN_VIEW_MS, first - (asked.end - first) * 0.05)),
        end: asked.end,
      }
    : asked;
  const { data: rec } = usePoll<{ streams: Array<{ stream: string; state: string; last_error: string | null }> }>(
    'api/recordings',
    5000,
  );
  const [from, setFrom] = useState<number | null>(at);
  const [pos, setPos] = useState<number | null>(null);
  const [range, setRange] = useState<{ start: number; end: number } | null>(
    at ? { start: at - 15_000, end: at + 15_000 } : null,
  );
  const [problem, setProblem] = useState<string | null>(null);
  const span = win.end - win.start;
  const pct = (ms: number) => `${(((ms - win.start) / span) * 100).toFixed(3)}%`;
  const spans = (data?.spans ?? []).map((s) => ({ start: Date.parse(s.start), end: Date.parse(s.end) }));
  const seek = (t: number) => {
    setFrom(t);
    setRange({ start: t - 15_000, end: t + 15_000 });
  };
  const click = (e: MouseEvent) => {
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    seek(win.start + ((e.clientX - r.left) / r.width) * span);
  };
  const state = rec?.streams.find((s) => s.stream === p.id);
  const ticks = Array.from({ length: 7 }, (_, i) => win.start + (span * i) / 6);
  return (
    <div class="recordings">
      <p>
        <Link to={`/live/${id}`}>← {p.id}</Link>
      </p>
      <Card
        title={`Recordings of ${p.id}`}
        actions={
          state ? (
            <Badge state={state.state} title={state.last_error ?? undefined} />
          ) : (
            <span class="muted">not recorded</span>
          )
        }
      >
        {state?.last_error && <p class="why">{state.last_error}</p>}
        <div class="tabs">
          <button type="button" class={!hours && !at ? 'tab on' : 'tab'} onClick={() => navigate(`/recordings/${id}`)}>
            fit
          </button>
          {HOURS.map((h) => (
            <button
              key={h}
              type="button"
              class={h === hours && !at ? 'tab on' : 'tab'}
              onClick={() => navigate(`/recordings/${id}?hours=${h}`)}
            >
              last {h} h
            </button>
          ))}
        </div>
        <ErrorLine error={error ?? problem} />
        <div
          class="timeline"
          role="slider"
          tabIndex={0}
          aria-label={`timeline of ${p.id}: click to play from there`}
          aria-valuemin={win.start}
          aria-valuemax={win.end}
          aria-valuenow={pos ?? from ?? win.end}
          aria-valuetext={(pos ?? from) ? clock(pos ?? from!) : 'not playing'}
          onClick={click}
          onKeyDown={(e) => {
            const step = e.key === 'ArrowLeft' ? -10_000 : e.key === 'ArrowRight' ? 10_000 : 0;
            if (!step) return;
            e.preventDefault();
            seek(Math.min(win.end, Math.max(win.start, (pos ?? from ?? win.end) + step)));
          }}
        >
          {spans.map((s) => (
            <span
              key={s.start}
              class="rec-span"
              style={{ left: pct(s.start), width: `calc(${pct(s.end)} - ${pct(s.start)})` }}
            />
          ))}
          {data?.items.map((it) => (
            <span
              key={it.id}
              class={`rec-item ${it.severity}`}
              title={`${it.labels.join(', ')} ${clock(Date.parse(it.start))}`}
              style={{ left: pct(Date.parse(it.start)) }}
            />
          ))}
          {range && (
            <span
              class="rec-range"
              style={{ left: pct(range.start), width: `calc(${pct(range.end)} - ${pct(range.start)})` }}
            />
          )}
          {(pos ?? from) && <span class="playhead" style={{ left: pct(pos ?? from!) }} />}
        </div>
        <div class="ticks" aria-hidden="true">
          {ticks.map((t) => (
            <span key={t}>{clock(t)}</span>
          ))}
        </div>
        {data && !spans.length && <p class="empty">Nothing recorded in this window.</p>}
        {from && (
          <RecordedPlayer
            key={from}
            id={id}
            from={from}
            onTime={setPos}
            label={`recording of ${p.id} from ${clock(from)}`}
          />
        )}
        <form
          class="export"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.target as HTMLFormElement);
            const s = fromLocal(String(f.get('from')));
            const t = fromLocal(String(f.get('to')));
            setProblem(null);
            void downloadClip(`api/recordings/${id}/clip.mp4?start=${s}&end=${t}&download=true`).catch((x: Error) =>
              setProblem(x.message),
            );
          }}
        >
          <label>
            From{' '}
            <input
              key={`f${range?.start}`}
              type="datetime-local"
              step={0.001}
              name="from"
              defaultValue={range ? toLocal(range.start) : ''}
              required
            />
          </label>
          <label>
            To{' '}
            <input
              key={`t${range?.end}`}
              type="datetime-local"
              step={0.001}
              name="to"
              defaultValue={range ? toLocal(range.end) : ''}
              required
            />
          </label>
          <button type="submit" class="primary">
            Export MP4
          </button>
        </form>
      </Card>
    </div>
  );
}
