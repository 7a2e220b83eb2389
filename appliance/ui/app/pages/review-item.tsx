/**
 * @module One review item: its clip, what and where, its events, and the marks a person sets
 * (reviewed, for themself; keep, which retention then never deletes). An old link to an event
 * under /review/ goes on to the event.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, sendJson } from '../api';
import { ClipPlayer, downloadClip } from '../components/clip';
import { Card, ErrorLine, when } from '../components/ui';
import { usePoll } from '../hooks';
import { LabelAs } from '../components/label-as';
import { Link, navigate } from '../router';
import { lasted, type ReviewItem, whatOf } from './review';

export function ReviewItemPage(p: { id: string }) {
  const path = `api/review/${encodeURIComponent(p.id)}`;
  const { data: it, error, reload } = usePoll<ReviewItem>(path, 5000);
  const [problem, setProblem] = useState<string | null>(null);
  const missing = (error as { status?: number } | null)?.status;
  useEffect(() => {
    // Not an item (404, or 422 for an id that is not one): an event's id from before items existed.
    if (!it && (missing === 404 || missing === 422))
      void api(`api/events/${encodeURIComponent(p.id)}`).then((r) => r.ok && navigate(`/events/${p.id}`, true));
  }, [missing, it, p.id]);
  const set = async (f: () => Promise<unknown>) => {
    setProblem(null);
    try {
      await f();
      reload();
    } catch (e) {
      setProblem((e as Error).message);
    }
  };
  return (
    <div class="review-item">
      <p>
        <Link to="/review">← Review</Link>
      </p>
      <ErrorLine error={it ? problem : (error ?? problem)} />
      {it && (
        <Card
          title={`${whatOf(it)} on ${it.stream}`}
          actions={<span class={`badge ${it.severity}`}>{it.severity}</span>}
        >
          <ClipPlayer path={`${path}/clip.mp4`} label={`clip of the item on ${it.stream}`} />
          <dl class="facts">
            <dt>when</dt>
            <dd>
              {when(it.start)} · {it.end ? lasted(it) : 'ongoing'}
            </dd>
            <dt>zones</dt>
            <dd>{it.zones.join(', ') || '—'}</dd>
            <dt>tracks</dt>
            <dd>{it.tracks.join(', ')}</dd>
            <dt>events</dt>
            <dd>
              {it.events.length
                ? it.events.map((e, i) => (
                    <span key={e}>
                      {i > 0 && ', '}
                      <Link to={`/events/${e}`}>{i + 1}</Link>
                    </span>
                  ))
                : '—'}
            </dd>
          </dl>
          <div class="actions">
            <button
              type="button"
              class="primary"
              onClick={() =>
                void set(() => sendJson('api/review/reviewed', 'POST', { ids: [it.id], reviewed: !it.reviewed }))
              }
            >
              {it.reviewed ? 'Mark not reviewed' : 'Mark reviewed'}
            </button>
            <button
              type="button"
              aria-pressed={it.keep}
              onClick={() => void set(() => sendJson(path, 'PATCH', { keep: !it.keep }))}
            >
              {it.keep ? 'Kept for ever: let retention have it' : 'Keep for ever'}
            </button>
            <button type="button" onClick={() => void set(() => downloadClip(`${path}/clip.mp4?download=true`))}>
              Download
            </button>
            <Link to={`/recordings/${encodeURIComponent(it.stream)}?at=${Date.parse(it.start)}`}>Timeline</Link>
          </div>
          {it.events.length > 0 && (
            <LabelAs
              fits={(c) => c.kind === 'object' && (!c.label || it.labels.includes(c.label))}
              items={() => [{ review_id: it.id }]}
              action="Label its objects"
            />
          )}
        </Card>
      )}
    </div>
  );
}
