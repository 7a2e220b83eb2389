/** @module Events: stored events with filters (stream, label, type, zone, line, time range), snapshots, paging. */
import { useState } from 'preact/hooks';
import { ApiImage, count, ErrorLine, Pager, when } from '../components/ui';
import { usePoll } from '../hooks';
import { Link, navigate, useRoute } from '../router';
import { type EventView, describe } from './live';

const FILTERS = ['stream', 'label', 'type', 'zone', 'line', 'from', 'to'] as const;
const PAGE = 50;

/** datetime-local (local time, no zone) <-> ISO 8601. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export function Events() {
  const { query } = useRoute();
  const page = Number(query.get('page') ?? 1);
  const qs = new URLSearchParams();
  for (const k of FILTERS) if (query.get(k)) qs.set(k, query.get(k)!);
  qs.set('page', String(page));
  qs.set('limit', String(PAGE));
  const { data, error } = usePoll<{ items: EventView[]; total: number }>(`api/events?${qs}`, 5000);
  const { data: streams } = usePoll<{ items: Array<{ id: string }> }>('api/streams');
  const [open, setOpen] = useState(false);
  const apply = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const next = new URLSearchParams();
    for (const k of FILTERS) {
      const v = String(f.get(k) ?? '');
      if (v) next.set(k, k === 'from' || k === 'to' ? toIso(v) : v);
    }
    navigate(`/events?${next}`);
  };
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE)) : 1;
  return (
    <div class="review">
      <form class="filters card" onSubmit={apply} aria-label="Filter events">
        <button type="button" class="ghost only-phone" onClick={() => setOpen(!open)} aria-expanded={open}>
          Filters
        </button>
        <div class={`filter-fields ${open ? 'open' : ''}`}>
          <label>
            Stream
            <select name="stream" value={query.get('stream') ?? ''}>
              <option value="">all</option>
              {streams?.items.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.id}
                </option>
              ))}
            </select>
          </label>
          <label>
            Label
            <input name="label" value={query.get('label') ?? ''} placeholder="person" />
          </label>
          <label>
            Type
            <select name="type" value={query.get('type') ?? ''}>
              <option value="">all</option>
              {['enter', 'leave', 'dwell', 'cross', 'count'].map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            Zone
            <input name="zone" value={query.get('zone') ?? ''} />
          </label>
          <label>
            Line
            <input name="line" value={query.get('line') ?? ''} />
          </label>
          <label>
            From
            <input type="datetime-local" name="from" value={toLocal(query.get('from'))} />
          </label>
          <label>
            To
            <input type="datetime-local" name="to" value={toLocal(query.get('to'))} />
          </label>
          <button type="submit" class="primary">
            Apply
          </button>
        </div>
      </form>
      <ErrorLine error={error} />
      <p class="muted" aria-live="polite">
        {data ? count(data.total, 'event') : 'Loading…'}
      </p>
      <ul class="events">
        {data?.items.map((e) => (
          <li key={e.id} data-event={e.id}>
            <Link to={`/events/${e.id}`} class="event-row">
              <ApiImage path={e.image_id ? `api/images/${e.image_id}/thumbnail` : null} alt="" class="thumb" />
              <span class="event-what">
                <b>{e.stream}</b> {describe(e)}
              </span>
              <time>{when(e.timestamp)}</time>
            </Link>
          </li>
        ))}
      </ul>
      <Pager path="/events" page={page} pages={pages} />
    </div>
  );
}
