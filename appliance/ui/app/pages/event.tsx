/** @module One event: its snapshot, what happened, its track and fleet revision, and "find similar". */
import { useState } from 'preact/hooks';
import { api, sendJson } from '../api';
import { ApiImage, Card, ErrorLine, when } from '../components/ui';
import { ClipPlayer } from '../components/clip';
import { usePoll } from '../hooks';
import { LabelAs } from '../components/label-as';
import { Link, navigate } from '../router';
import { type EventView, describe } from './live';

export interface Hit {
  image_id: string;
  similarity_score: number;
  metadata: { name: string | null; tags: string[]; created_at: string };
}

/** Where a result leads: an event's snapshot to its event, any other photo to it in the library. */
export async function openHit(h: Hit): Promise<void> {
  if (h.metadata.tags.includes('snapshot')) {
    const r = await api(`api/events?image_id=${encodeURIComponent(h.image_id)}&limit=1`);
    const ev = r.ok ? ((await r.json()) as { items: Array<{ id: string }> }).items[0] : undefined;
    if (ev) return navigate(`/events/${encodeURIComponent(ev.id)}`);
  }
  navigate(`/explore?photo=${encodeURIComponent(h.image_id)}`);
}

export function Hits(p: { hits: Hit[] }) {
  return (
    <ul class="tiles">
      {p.hits.map((h) => (
        <li key={h.image_id} class="tile" data-image={h.image_id}>
          <button
            type="button"
            class="tile-open"
            onClick={() => void openHit(h)}
            aria-label={`Open ${h.metadata.name ?? 'this photo'} (similarity ${h.similarity_score.toFixed(3)})`}
          >
            <ApiImage path={`api/images/${h.image_id}/thumbnail`} alt={h.metadata.name ?? ''} />
            <span class="score">{h.similarity_score.toFixed(3)}</span>
            <span class="tile-name">{h.metadata.name}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

export function EventDetail(p: { id: string }) {
  const { data: e, error } = usePoll<EventView & { session_id: string; detail?: { snapshot_box?: number[] } }>(
    `api/events/${encodeURIComponent(p.id)}`,
  );
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);
  const similar = async () => {
    setSearchError(null);
    try {
      // Other events' snapshots and photos alike; the event's own snapshot is left out by the box.
      const r = await sendJson<{ results: Hit[] }>('api/search', 'POST', {
        image_id: e!.image_id,
        limit: 12,
        snapshots: 'include',
      });
      setHits(r.results);
    } catch (err) {
      setSearchError((err as Error).message);
    }
  };
  return (
    <div class="event-detail">
      <p>
        <Link to="/events">← Events</Link>
      </p>
      <ErrorLine error={error} />
      {e && (
        <Card title={describe(e)}>
          <div class="event-body">
            <ApiImage
              path={e.image_id ? `api/images/${e.image_id}/file` : null}
              alt={`snapshot of ${describe(e)}`}
              class="snapshot"
            />
            <dl class="facts">
              <dt>stream</dt>
              <dd>{e.stream}</dd>
              <dt>when</dt>
              <dd>{when(e.timestamp)}</dd>
              <dt>type</dt>
              <dd>{e.type}</dd>
              <dt>track</dt>
              <dd>{e.track_id ?? '—'}</dd>
              <dt>zone / line</dt>
              <dd>{e.zone ?? e.line ?? '—'}</dd>
              <dt>revision</dt>
              <dd>{e.revision ? e.revision.slice(0, 12) : 'local config'}</dd>
              <dt>session</dt>
              <dd class="mono">{e.session_id}</dd>
            </dl>
          </div>
          {e.image_id && (
            <button type="button" class="primary" onClick={similar}>
              Find similar
            </button>
          )}
          <ErrorLine error={searchError} />
          {e.image_id && e.detail?.snapshot_box && (
            <LabelAs
              fits={(c) => c.kind === 'object' && (!c.label || c.label === e.label)}
              items={() => [{ event_id: e.id }]}
            />
          )}
        </Card>
      )}
      {e && !e.stream.startsWith('run:') && (
        <Card title="Clip">
          <ClipPlayer path={`api/events/${encodeURIComponent(p.id)}/clip.mp4`} label={`clip of ${describe(e)}`} />
        </Card>
      )}
      {hits && (
        <Card title="Similar">
          <Hits hits={hits} />
        </Card>
      )}
    </div>
  );
}
