/**
 * @module Analysis sessions: the list (name, window, what it counts, owner) and the editor (name,
 * description, start and end, the streams with their zones, the runs). What the server refuses is
 * shown beside the form, and nothing typed is lost.
 */
import { useState } from 'preact/hooks';
import { sendJson } from '../api';
import { Card, ErrorLine, when } from '../components/ui';
import { usePoll } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import type { SessionView } from './analytics';

const local = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export function Sessions() {
  const { data, error, reload } = usePoll<{ items: SessionView[] }>('api/sessions');
  const { can } = useSession();
  const [failed, setFailed] = useState<string | null>(null);
  const remove = async (s: SessionView) => {
    if (!confirm(`Delete the session ${s.name}? The counts stay; only the session goes.`)) return;
    await sendJson(`api/sessions/${s.id}`, 'DELETE', {}).then(reload, (e: Error) => setFailed(e.message));
  };
  return (
    <Card
      title="Analysis sessions"
      actions={
        can('analytics:write') && (
          <Link to="/analytics/sessions/new" class="button">
            New session
          </Link>
        )
      }
    >
      <ErrorLine error={error ?? failed} />
      {data?.items.length === 0 && (
        <p class="muted">No sessions yet: a session names streams, zones, runs and a time window to count over.</p>
      )}
      {!!data?.items.length && (
        <table class="sessions">
          <thead>
            <tr>
              <th>Name</th>
              <th>From</th>
              <th>To</th>
              <th>Counts</th>
              <th>Owner</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.items.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link to={`/analytics?session=${s.id}`}>{s.name}</Link>
                </td>
                <td>{when(s.starts_at)}</td>
                <td>{s.ends_at ? when(s.ends_at) : 'open'}</td>
                <td>
                  {[
                    ...s.streams.map((x) => (x.zones.length ? `${x.stream} (${x.zones.join(', ')})` : x.stream)),
                    ...s.runs.map((r) => `run ${r.slice(0, 8)}`),
                  ].join(', ')}
                </td>
                <td>{s.owner ?? '—'}</td>
                <td class="actions">
                  {can('analytics:write') && (
                    <>
                      <Link to={`/analytics/sessions/${s.id}`} class="button ghost">
                        Edit
                      </Link>
                      <button type="button" class="ghost danger" onClick={() => void remove(s)}>
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function SessionEditor(p: { id: string | null }) {
  const existing = usePoll<SessionView>(p.id ? `api/sessions/${p.id}` : null);
  const configured = usePoll<{ items: Array<{ id: string }> }>('api/streams');
  // Streams with counts too: a session may cover a stream that is no longer configured.
  const counted = usePoll<{ streams: string[] }>('api/analytics/classes');
  const ids = [...new Set([...(configured.data?.items.map((x) => x.id) ?? []), ...(counted.data?.streams ?? [])])]
    .filter((id) => !id.startsWith('run:'))
    .sort();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const s = existing.data;
  if (p.id && !s) return <ErrorLine error={existing.error} />;
  const chosen = new Map((s?.streams ?? []).map((x) => [x.stream, x.zones.join(', ')]));
  const save = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    const instant = (k: string) => (text(k) ? new Date(text(k)).toISOString() : null);
    const body = {
      name: text('name'),
      description: text('description'),
      starts_at: instant('starts_at') ?? '',
      ends_at: instant('ends_at'),
      streams: ids
        .filter((id) => f.get(`stream:${id}`))
        .map((id) => ({
          stream: id,
          zones: text(`zones:${id}`)
            .split(',')
            .map((z) => z.trim())
            .filter(Boolean),
        })),
      runs: text('runs')
        .split(/[\s,]+/)
        .filter(Boolean),
    };
    setBusy(true);
    try {
      const saved = p.id
        ? await sendJson<SessionView>(`api/sessions/${p.id}`, 'PATCH', body)
        : await sendJson<SessionView>('api/sessions', 'POST', body);
      navigate(`/analytics?session=${saved.id}`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={p.id ? `Edit ${s?.name ?? ''}` : 'New analysis session'}>
      <form class="session-form" onSubmit={(e) => void save(e)}>
        <label>
          Name
          <input name="name" required maxLength={200} defaultValue={s?.name ?? ''} />
        </label>
        <label>
          Description
          <textarea name="description" rows={2} maxLength={4000} defaultValue={s?.description ?? ''} />
        </label>
        <div class="row">
          <label>
            Starts
            <input name="starts_at" type="datetime-local" required defaultValue={local(s?.starts_at ?? null)} />
          </label>
          <label>
            Ends (empty: open)
            <input name="ends_at" type="datetime-local" defaultValue={local(s?.ends_at ?? null)} />
          </label>
        </div>
        <fieldset>
          <legend>Streams (zones: comma-separated names; none counts the whole view)</legend>
          {ids.map((id) => (
            <div key={id} class="row">
              <label class="check">
                <input type="checkbox" name={`stream:${id}`} defaultChecked={chosen.has(id)} />
                {id}
              </label>
              <input
                name={`zones:${id}`}
                aria-label={`Zones of ${id}`}
                placeholder="zones"
                defaultValue={chosen.get(id) ?? ''}
              />
            </div>
          ))}
        </fieldset>
        <label>
          Runs (ids)
          <input name="runs" defaultValue={s?.runs.join(', ') ?? ''} placeholder="run ids, comma-separated" />
        </label>
        <ErrorLine error={error} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {p.id ? 'Save' : 'Create'}
          </button>
          <Link to="/analytics/sessions" class="button ghost">
            Cancel
          </Link>
        </div>
      </form>
    </Card>
  );
}
