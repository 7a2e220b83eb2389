/**
 * @module System: health, streams and inference, delivery (MQTT, WebSocket, webhooks), S3 sync and
 * the disk budget, the fleet revision and its history, backups (admin), users and API keys (admin).
 */
import { useState } from 'preact/hooks';
import { json, sendJson } from '../api';
import { Badge, Card, ErrorLine, Figure, when } from '../components/ui';
import { usePoll } from '../hooks';
import { useSession } from '../session';
import { Link } from '../router';
import type { StreamView } from './live';

type Obj = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' ? v : '—');
const bytes = (n: unknown) =>
  typeof n === 'number' ? (n > 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(1)} MB`) : '—';

/** /health answers a degraded box with 503 and the same report: that is when it matters most. */
const DEGRADED_TOO = [503] as const;

function Health() {
  const { data } = usePoll<{
    status: string;
    version: string;
    uptime_s: number;
    checks: Record<string, { ok: boolean; detail?: Obj }>;
  }>('health', 5000, DEGRADED_TOO);
  if (!data) return null;
  return (
    <Card title="Health" actions={<Badge state={data.status} />}>
      <ul class="checks">
        {Object.entries(data.checks).map(([k, c]) => (
          <li key={k} data-check={k}>
            <span class={`dot ${c.ok ? 'ok' : 'bad'}`} /> {k}
          </li>
        ))}
      </ul>
      <ModelPulls pulls={(data.checks.models?.detail as { pulls?: Pull[] } | undefined)?.pulls ?? []} />
      <p class="muted">
        fovea {data.version}, up {Math.round(data.uptime_s / 60)} min
      </p>
    </Card>
  );
}

interface BoxState {
  cpu: { cores: number; load: number[]; process_percent: number };
  memory: { total_bytes: number; free_bytes: number; process_rss_bytes: number };
  disk: { path: string; total_bytes: number; free_bytes: number };
  problems: Array<{ ts: string; level: string; msg: string; mod?: string }> | null;
}

const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;
const pct = (used: number, total: number) => (total ? Math.round((used / total) * 100) : 0);

/** The box itself: CPU, memory and disk in use, and (for admins) its latest warnings and errors. */
function Box() {
  const { data } = usePoll<BoxState>('api/system', 5000);
  if (!data) return null;
  const mem = data.memory.total_bytes - data.memory.free_bytes;
  const disk = data.disk.total_bytes - data.disk.free_bytes;
  return (
    <Card title="This box">
      <div class="figures">
        <Figure label={`load (${data.cpu.cores} cores)`} value={data.cpu.load[0] ?? 0} />
        <Figure label="fovea CPU %" value={data.cpu.process_percent} />
        <Figure label={`memory % of ${gb(data.memory.total_bytes)}`} value={pct(mem, data.memory.total_bytes)} />
        <Figure label={`disk % of ${gb(data.disk.total_bytes)}`} value={pct(disk, data.disk.total_bytes)} />
      </div>
      <p class="muted">
        fovea holds {gb(data.memory.process_rss_bytes)} of memory; {gb(data.disk.free_bytes)} free under{' '}
        <code>{data.disk.path}</code>
      </p>
      {data.problems && (
        <details class="problems" open={data.problems.length > 0}>
          <summary>Recent warnings and errors ({data.problems.length})</summary>
          {data.problems.length === 0 ? (
            <p class="muted">None since the box started.</p>
          ) : (
            <ul>
              {data.problems.map((p) => (
                <li key={`${p.ts}-${p.msg}`} data-level={p.level}>
                  <span class={p.level === 'error' ? 'error' : 'warn'}>{p.level}</span> {when(p.ts)}
                  {p.mod ? ` · ${p.mod}` : ''}: {p.msg}
                </li>
              ))}
            </ul>
          )}
        </details>
      )}
    </Card>
  );
}

interface Pull {
  ref: string;
  state: string;
  bytes_done: number;
  bytes_total: number | null;
  attempts: number;
  error: string | null;
  next_retry_at: string | null;
}

/** Models being pulled on first run (or that failed to be), with progress and why. */
function ModelPulls(p: { pulls: Pull[] }) {
  const pending = p.pulls.filter((x) => x.state !== 'present');
  if (!pending.length) return null;
  return (
    <ul class="pulls" aria-label="Model pulls">
      {pending.map((x) => (
        <li key={x.ref} data-model={x.ref}>
          <Badge state={x.state === 'failed' ? 'model_missing' : 'pulling'} /> <b>{x.ref}</b>{' '}
          {x.state === 'failed' ? (
            <span class="why">
              {x.error} (attempt {x.attempts}; next at {new Date(x.next_retry_at ?? '').toLocaleTimeString()})
            </span>
          ) : (
            <span>
              {bytes(x.bytes_done)}
              {x.bytes_total ? ` of ${bytes(x.bytes_total)}` : ''}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

function StreamsCard() {
  const { data } = usePoll<{ items: StreamView[] }>('api/streams', 3000);
  return (
    <Card title="Streams and inference">
      <table>
        <thead>
          <tr>
            <th>stream</th>
            <th>state</th>
            <th>camera fps</th>
            <th>analysed fps</th>
            <th>dropped</th>
            <th>detect ms</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((s) => (
            <tr key={s.id}>
              <td>{s.id}</td>
              <td>
                <Badge state={s.state} title={s.last_error ?? undefined} />
              </td>
              <td>{s.fps_in}</td>
              <td>{s.fps_out}</td>
              <td>{s.dropped}</td>
              <td>{s.stage_ms.detect ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function Delivery() {
  const { can } = useSession();
  const { data } = usePoll<{ mqtt: Obj | null; websocket: Obj; webhooks: Obj[] }>(
    can('publish:read') ? 'api/publish/status' : null,
    5000,
  );
  if (!data) return null;
  return (
    <Card title="Delivery">
      <div class="figures">
        <Figure label="MQTT" value={data.mqtt ? (data.mqtt.connected ? 'connected' : 'away') : 'off'} />
        <Figure label="outbox" value={data.mqtt ? num(data.mqtt.outbox_depth) : '—'} />
        <Figure label="WebSocket clients" value={num(data.websocket.clients)} />
      </div>
      {data.webhooks.map((w) => (
        <p key={String(w.name)}>
          webhook <b>{String(w.name)}</b>: {String(w.state)}, {num(w.pending)} pending, {num(w.delivered)} delivered
          {w.last_error ? <span class="error"> — {String(w.last_error)}</span> : null}
        </p>
      ))}
    </Card>
  );
}

function Sync() {
  const { can } = useSession();
  const { data } = usePoll<Obj>(can('sync:read') ? 'api/sync' : null, 5000);
  if (!data) return null;
  if (!data.enabled)
    return (
      <Card title="S3 sync">
        <p class="muted">Off (no bucket configured).</p>
      </Card>
    );
  const r = data.retention as Obj | undefined;
  return (
    <Card title="S3 sync" actions={<Badge state={String(data.state)} />}>
      <div class="figures">
        <Figure label="pending" value={num(data.pending)} />
        <Figure label="pending size" value={bytes(data.pending_bytes)} />
        <Figure
          label="lag (oldest)"
          value={data.oldest_pending_age_s === null ? '—' : `${data.oldest_pending_age_s} s`}
        />
        <Figure label="uploaded" value={num(data.uploaded)} />
        <Figure label="budget" value={r ? String(r.state).replace(/_/g, ' ') : '—'} />
      </div>
      <ErrorLine error={(data.last_error as Obj | null)?.message as string | null} />
    </Card>
  );
}

interface RecorderRow {
  stream: string;
  mode: string;
  state: string;
  last_error: string | null;
  segments: number;
  bytes: number;
  first: string | null;
}

function RecordingsCard() {
  const { can } = useSession();
  const { data } = usePoll<{ free_bytes: number | null; streams: RecorderRow[] }>(
    can('streams:read') ? 'api/recordings' : null,
    5000,
  );
  if (!data) return null;
  return (
    <Card title="Recordings">
      {!data.streams.length && <p class="muted">No stream records (record.enabled).</p>}
      {data.streams.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th>stream</th>
              <th>mode</th>
              <th>state</th>
              <th>segments</th>
              <th>kept</th>
              <th>since</th>
            </tr>
          </thead>
          <tbody>
            {data.streams.map((r) => (
              <tr key={r.stream} data-recorder={r.stream}>
                <td>
                  <Link to={`/recordings/${encodeURIComponent(r.stream)}`}>{r.stream}</Link>
                </td>
                <td>{r.mode}</td>
                <td>
                  <Badge state={r.state} title={r.last_error ?? undefined} />
                </td>
                <td>{num(r.segments)}</td>
                <td>{bytes(r.bytes)}</td>
                <td>{r.first ? when(r.first) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data.free_bytes !== null && <p class="muted">{bytes(data.free_bytes)} free on the recordings disk</p>}
    </Card>
  );
}

function Fleet() {
  const { can } = useSession();
  const { data } = usePoll<Obj>(can('fleet:read') ? 'api/fleet' : null, 5000);
  if (!data) return null;
  if (!data.enabled)
    return (
      <Card title="Fleet">
        <p class="muted">This box runs its local config (no fleet repo).</p>
      </Card>
    );
  const history = (data.history as Obj[]) ?? [];
  const applied = data.applied as Obj | null;
  return (
    <Card title="Fleet" actions={<Badge state={String(data.state)} />}>
      <p>
        applied <code>{applied ? String(applied.sha).slice(0, 12) : '—'}</code>{' '}
        {applied ? String(applied.subject ?? '') : ''}
      </p>
      <ol class="history">
        {history.slice(0, 10).map((h) => (
          <li key={`${h.sha}-${h.at}`} data-state={String(h.state)}>
            <Badge state={String(h.state)} /> <code>{String(h.sha).slice(0, 12)}</code> {String(h.subject ?? '')}{' '}
            <small>{when(h.at as string)}</small>
            {Array.isArray(h.problems) && h.problems.length > 0 && (
              <ul class="problems">
                {(h.problems as string[]).map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
            {h.state !== 'applied' && h.message ? <p class="why">{String(h.message)}</p> : null}
          </li>
        ))}
      </ol>
    </Card>
  );
}

function Backups() {
  const { data, reload } = usePoll<{ backups: string[]; last: Obj | null; schedule: Obj | null }>('api/backup');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const take = async () => {
    setBusy(true);
    setError(null);
    try {
      await json('api/backup', { method: 'POST' });
      reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card
      title="Backups"
      actions={
        <button type="button" onClick={take} disabled={busy}>
          {busy ? 'Taking…' : 'Take one now'}
        </button>
      }
    >
      <ErrorLine error={error} />
      <p class="muted">next: {when((data?.schedule?.next_at as string) ?? null)}</p>
      <ul>
        {data?.backups.map((b) => (
          <li key={b}>
            <code>{b}</code>
          </li>
        ))}
      </ul>
    </Card>
  );
}

interface User {
  name: string;
  role: string;
  created_at: string;
  /** Their photo library: bytes of originals stored, and the quota (null: none). */
  used_bytes: number;
  quota_bytes: number | null;
}

/** A user's library against its quota, and a field to change the quota (GB; empty: no quota). */
function QuotaCell(p: { user: User; act: (fn: () => Promise<unknown>) => void }) {
  const u = p.user;
  const gb = (n: number) => (n / 1e9).toFixed(2);
  return (
    <form
      class="quota-cell"
      aria-label={`Library quota of ${u.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        const v = String(new FormData(e.target as HTMLFormElement).get('quota') ?? '').trim();
        p.act(() =>
          sendJson(`api/users/${u.name}`, 'PATCH', { quota_bytes: v === '' ? null : Math.round(Number(v) * 1e9) }),
        );
      }}
    >
      <span class={u.quota_bytes !== null && u.used_bytes > u.quota_bytes ? 'error' : 'muted'}>
        {u.used_bytes < 1e9 ? `${(u.used_bytes / 1e6).toFixed(1)} MB` : `${gb(u.used_bytes)} GB`} of
      </span>
      <input
        name="quota"
        type="number"
        min={0}
        step={0.01}
        defaultValue={u.quota_bytes === null ? '' : gb(u.quota_bytes)}
        placeholder="no quota"
        aria-label={`Quota of ${u.name} in GB`}
      />
      <span class="muted">GB</span>
      <button type="submit" class="ghost">
        Set
      </button>
    </form>
  );
}
interface Key {
  id: string;
  name: string;
  user: string | null;
  scopes: string[] | null;
  revoked_at: string | null;
}

function Users() {
  const users = usePoll<{ items: User[] }>('api/users');
  const keys = usePoll<{ items: Key[] }>('api/keys');
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState<{ what: string; secret: string } | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      users.reload();
      keys.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const addUser = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const name = String(f.get('name'));
    void act(async () => {
      await sendJson('api/auth/signup', 'POST', {
        username: name,
        password: String(f.get('password')),
        role: String(f.get('role')),
      });
      (e.target as HTMLFormElement).reset();
    });
  };
  const addKey = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    void act(async () => {
      const r = await sendJson<{ key: string; name: string }>('api/keys', 'POST', {
        name: String(f.get('name')),
        user: String(f.get('user')) || undefined,
      });
      setShown({ what: `API key ${r.name}`, secret: r.key });
    });
  };
  return (
    <Card title="Users and API keys">
      <ErrorLine error={error} />
      {shown && (
        <p class="secret" role="status">
          {shown.what} (shown once): <code>{shown.secret}</code>{' '}
          <button type="button" class="ghost" onClick={() => setShown(null)}>
            Hide
          </button>
        </p>
      )}
      <table>
        <tbody>
          {users.data?.items.map((u) => {
            // The only admin is not offered to demote or remove itself: the box would have none.
            const sole = u.role === 'admin' && users.data!.items.filter((x) => x.role === 'admin').length === 1;
            return (
              <tr key={u.name} data-user={u.name}>
                <td>{u.name}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.name}`}
                    disabled={sole}
                    title={sole ? 'the only admin keeps the role' : undefined}
                    value={u.role}
                    onChange={(e) =>
                      void act(() =>
                        sendJson(`api/users/${u.name}`, 'PATCH', { role: (e.target as HTMLSelectElement).value }),
                      )
                    }
                  >
                    {['viewer', 'operator', 'admin'].map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <QuotaCell user={u} act={(fn) => void act(fn)} />
                </td>
                <td class="row-actions">
                  <button
                    type="button"
                    onClick={() =>
                      void act(async () => {
                        const r = await json<{ token: string }>(`api/users/${u.name}/reset`, { method: 'POST' });
                        setShown({ what: `password reset token for ${u.name}`, secret: r.token });
                      })
                    }
                  >
                    Reset password
                  </button>
                  {sole ? (
                    <small class="muted">the only admin</small>
                  ) : (
                    <button
                      type="button"
                      class="danger"
                      onClick={() =>
                        confirm(`Remove ${u.name}?`) &&
                        void act(() => json(`api/users/${u.name}`, { method: 'DELETE' }))
                      }
                    >
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <form class="inline" onSubmit={addUser} aria-label="Add a user">
        <input name="name" placeholder="user name" required aria-label="New user name" />
        <input
          name="password"
          type="password"
          placeholder="password (10+)"
          required
          minLength={10}
          aria-label="New user password"
        />
        <select name="role" aria-label="New user role">
          <option>viewer</option>
          <option>operator</option>
          <option>admin</option>
        </select>
        <button type="submit">Add user</button>
      </form>
      <table>
        <tbody>
          {keys.data?.items
            .filter((k) => !k.revoked_at)
            .map((k) => (
              <tr key={k.id} data-key={k.name}>
                <td>{k.name}</td>
                <td>{k.user ?? '—'}</td>
                <td>{k.scopes ? k.scopes.join(', ') : k.user ? `all of ${k.user}’s role` : 'admin (no user)'}</td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => void act(() => json(`api/keys/${k.id}`, { method: 'DELETE' }))}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
        </tbody>
      </table>
      <form class="inline" onSubmit={addKey} aria-label="Create an API key">
        <input name="name" placeholder="key name" required pattern="[\w.@-]{1,64}" aria-label="New key name" />
        <input name="user" placeholder="owner (you)" aria-label="Key owner" />
        <button type="submit">Create key</button>
      </form>
    </Card>
  );
}

export function System() {
  const { can } = useSession();
  return (
    <div class="system">
      <Health />
      <Box />
      <StreamsCard />
      <RecordingsCard />
      <Delivery />
      <Sync />
      <Fleet />
      {can('backup:admin') && <Backups />}
      {can('users:admin') && can('keys:admin') && <Users />}
    </div>
  );
}
