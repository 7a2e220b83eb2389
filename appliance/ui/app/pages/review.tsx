/**
 * @module Review: the streams' activity as items, alerts and detections apart, unreviewed first.
 * A tile's preview plays on hover or focus; the chosen item's clip plays beside the list. Keys:
 * j / ↓ next, k / ↑ previous, r reviewed (or not), space play or pause. "Mark all reviewed" marks
 * what the tab shows.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { sendJson } from '../api';
import { ClipPlayer, downloadClip, useClip } from '../components/clip';
import { ApiImage, count, ErrorLine, when } from '../components/ui';
import { usePoll } from '../hooks';
import { Link, navigate, useRoute } from '../router';

export interface ReviewItem {
  id: string;
  stream: string;
  start: string;
  end: string | null;
  severity: 'alert' | 'detection';
  labels: string[];
  sub_labels: string[];
  texts: string[];
  zones: string[];
  tracks: number[];
  events: string[];
  thumb: string | null;
  keep: boolean;
  reviewed: boolean;
}

/** What an item saw: its labels, and its objects' sub-labels when a classifier named them (person · delivery). */
export const whatOf = (it: Pick<ReviewItem, 'labels' | 'sub_labels' | 'texts'>) =>
  [it.labels.join(', ') || 'activity', it.sub_labels?.join(', '), it.texts?.join(', ')].filter(Boolean).join(' · ');

export const lasted = (it: Pick<ReviewItem, 'start' | 'end'>) => {
  const s = Math.round(((it.end ? Date.parse(it.end) : Date.now()) - Date.parse(it.start)) / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

const typing = (t: EventTarget | null) => t instanceof HTMLElement && /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName);

/** A tile's preview: the item's clip, muted and looping, while the pointer or focus is on it. */
function Preview(p: { id: string }) {
  const { clip } = useClip(`api/review/${p.id}/clip.mp4`);
  return clip ? (
    <video class="preview" src={clip.url} autoplay muted loop playsInline tabIndex={-1} aria-hidden="true" />
  ) : null;
}

export function Review() {
  const { query } = useRoute();
  const severity = query.get('severity') === 'detection' ? 'detection' : 'alert';
  const stream = query.get('stream') ?? '';
  const qs = new URLSearchParams({ severity, limit: '200', ...(stream && { stream }) });
  const { data, error, reload } = usePoll<{ items: ReviewItem[] }>(`api/review?${qs}`, 5000);
  const { data: streams } = usePoll<{ items: Array<{ id: string }> }>('api/streams');
  const [chosen, setChosen] = useState<string | null>(null);
  const [hover, setHover] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const video = useRef<HTMLVideoElement | null>(null);
  const items = data?.items ?? [];
  const current = items.find((i) => i.id === chosen) ?? items[0] ?? null;
  const go = (next: Record<string, string>) => {
    const q = new URLSearchParams({ severity, ...(stream && { stream }), ...next });
    for (const [k, v] of [...q]) if (!v) q.delete(k);
    navigate(`/review?${q}`);
  };
  const mark = async (ids: string[] | null, reviewed = true) => {
    setProblem(null);
    try {
      await sendJson(
        'api/review/reviewed',
        'POST',
        ids ? { ids, reviewed } : { all: { severity, ...(stream && { stream }) } },
      );
      reload();
    } catch (e) {
      setProblem((e as Error).message);
    }
  };
  // The keys act on what is drawn now: the handler reads the newest list and choice from a ref
  // (a handler made at the last effect could still hold the item before a key moved the choice).
  const now = useRef({ items, current, mark });
  now.current = { items, current, mark };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { items, current, mark } = now.current;
      if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey || !items.length) return;
      const at = current ? items.indexOf(current) : -1;
      if (e.key === 'j' || e.key === 'ArrowDown') setChosen(items[Math.min(items.length - 1, at + 1)]!.id);
      else if (e.key === 'k' || e.key === 'ArrowUp') setChosen(items[Math.max(0, at - 1)]!.id);
      else if (e.key === 'r' && current) void mark([current.id], !current.reviewed);
      else if (e.key === ' ' && video.current && !(e.target instanceof HTMLButtonElement)) {
        if (video.current.paused) void video.current.play();
        else video.current.pause();
      } else return;
      e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    if (current) document.querySelector(`[data-item="${current.id}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [current?.id]);
  const unreviewed = items.filter((i) => !i.reviewed).length;
  return (
    <div class="review-items">
      <div class="review-head">
        <div class="tabs" role="tablist" aria-label="Severity">
          {(['alert', 'detection'] as const).map((s) => (
            <button
              key={s}
              type="button"
              role="tab"
              aria-selected={severity === s}
              class={severity === s ? 'tab on' : 'tab'}
              onClick={() => go({ severity: s })}
            >
              {s === 'alert' ? 'Alerts' : 'Detections'}
            </button>
          ))}
        </div>
        <label>
          Stream{' '}
          <select value={stream} onChange={(e) => go({ stream: (e.target as HTMLSelectElement).value })}>
            <option value="">all</option>
            {streams?.items.map((s) => (
              <option key={s.id} value={s.id}>
                {s.id}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void mark(null)} disabled={!unreviewed}>
          Mark all reviewed
        </button>
        <Link to="/events">All events</Link>
      </div>
      <ErrorLine error={error ?? problem} />
      <p class="muted" aria-live="polite">
        {data
          ? `${count(items.length, severity === 'alert' ? 'alert' : 'detection')}, ${unreviewed} not reviewed`
          : 'Loading…'}
        {' · '}
        <kbd>j</kbd>/<kbd>k</kbd> next and previous, <kbd>r</kbd> reviewed, <kbd>space</kbd> play
      </p>
      {data && !items.length && (
        <p class="empty">
          Nothing to review here. Items appear when a tracked object moves on a stream (labels{' '}
          {severity === 'alert' ? 'set in review.alerts' : 'other than the alerts'}).
        </p>
      )}
      <div class="review-body">
        <ul class="items" aria-label="Review items">
          {items.map((it) => (
            <li
              key={it.id}
              data-item={it.id}
              class={`${it.reviewed ? 'reviewed' : ''} ${current?.id === it.id ? 'on' : ''}`}
            >
              <button
                type="button"
                class="item-tile"
                aria-pressed={current?.id === it.id}
                onClick={() => setChosen(it.id)}
                onMouseEnter={() => setHover(it.id)}
                onMouseLeave={() => setHover(null)}
                onFocus={() => setHover(it.id)}
                onBlur={() => setHover(null)}
              >
                <span class="thumb-box">
                  <ApiImage path={it.thumb ? `api/images/${it.thumb}/thumbnail` : null} alt="" class="thumb" />
                  {hover === it.id && <Preview id={it.id} />}
                </span>
                <span class="item-what">
                  <b>{whatOf(it)}</b> on {it.stream}
                  {it.zones.length > 0 && <span class="muted"> in {it.zones.join(', ')}</span>}
                </span>
                <span class="item-when">
                  <time>{when(it.start)}</time> · {it.end ? lasted(it) : 'ongoing'}
                  {it.keep && ' · kept'}
                  {it.reviewed && ' · reviewed'}
                </span>
              </button>
            </li>
          ))}
        </ul>
        {current && (
          <section class="card item-player" aria-label="The chosen item">
            <ClipPlayer
              key={current.id}
              path={`api/review/${current.id}/clip.mp4`}
              label={`clip of ${whatOf(current)} on ${current.stream}`}
              autoplay
              videoRef={(v) => {
                video.current = v;
              }}
            />
            <p>
              <b>{whatOf(current)}</b> on {current.stream}, {when(current.start)} ·{' '}
              {current.end ? lasted(current) : 'ongoing'}
            </p>
            <div class="actions">
              <button type="button" class="primary" onClick={() => void mark([current.id], !current.reviewed)}>
                {current.reviewed ? 'Mark not reviewed' : 'Mark reviewed'}
              </button>
              <button
                type="button"
                onClick={() =>
                  void downloadClip(`api/review/${current.id}/clip.mp4?download=true`).catch((e: Error) =>
                    setProblem(e.message),
                  )
                }
              >
                Download
              </button>
              <Link to={`/review/${current.id}`}>Details</Link>
              <Link to={`/recordings/${encodeURIComponent(current.stream)}?at=${Date.parse(current.start)}`}>
                Timeline
              </Link>
            </div>
          </section>
        )}
      </div>
    </div>
  );
}
