/**
 * @module Notifications, per user: this browser turned on or off (with why it cannot, when it
 * cannot), then each of the user's browsers with its delivery record and its choices: streams,
 * severities, labels, zones, a cooldown, quiet hours and a snooze, a test push, and removal.
 * What the box refuses is shown beside the form; nothing typed is lost.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, sendJson } from '../api';
import { Card, ErrorLine, Figure, when } from '../components/ui';
import { usePoll } from '../hooks';
import { thisBrowser, turnOff, turnOn, unsupported, type BoxSubscription, type Prefs } from '../push';
import { useSession } from '../session';

const names = (s: string) => [
  ...new Set(
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
];

const SNOOZES = [
  [3600, '1 hour'],
  [8 * 3600, '8 hours'],
  [24 * 3600, '24 hours'],
] as const;

export function Notifications() {
  const { me } = useSession();
  const user = me.subject ?? 'anyone';
  const vapid = usePoll<{ enabled: boolean; public_key: string | null }>('api/notify/vapid');
  const subs = usePoll<{ items: BoxSubscription[] }>('api/notify/subscriptions');
  const streams = usePoll<{ items: Array<{ id: string }> }>('api/streams');
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const [mine, setMine] = useState(() => thisBrowser(user));
  const [permission, setPermission] = useState(() => ('Notification' in window ? Notification.permission : null));
  const cannot = unsupported();
  const items = subs.data?.items ?? [];
  const here = items.find((s) => s.id === mine) ?? null;

  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setFailed(null);
    try {
      await fn();
    } catch (e) {
      setFailed((e as Error).message);
    } finally {
      setBusy(false);
      setMine(thisBrowser(user));
      if ('Notification' in window) setPermission(Notification.permission);
      subs.reload();
    }
  };

  return (
    <div class="notifications">
      <Card title="Notifications">
        <p class="muted">
          Alerts reach your browsers as notifications, even with no dashboard open. Each browser keeps its own choices.
        </p>
        <ErrorLine error={vapid.error ?? subs.error} />
        {vapid.data && !vapid.data.enabled && (
          <p class="why">
            Web push is off on this box: an administrator turns it on with <code>notify.web_push.enabled</code>.
          </p>
        )}
        {vapid.data?.enabled && (
          <div class="this-browser" data-state={here ? 'on' : 'off'}>
            <h3>This browser</h3>
            {cannot ? (
              <p class="why">{cannot}</p>
            ) : here ? (
              <p>
                Notifications are <strong>on</strong> here.{' '}
                <button type="button" class="ghost" disabled={busy} onClick={() => void act(() => turnOff(user))}>
                  Turn off here
                </button>
              </p>
            ) : (
              <p>
                {permission === 'denied'
                  ? "Notifications are blocked for this site: allow them in the browser's site settings first. "
                  : 'Notifications are off here. '}
                <button
                  type="button"
                  class="primary"
                  disabled={busy}
                  onClick={() => void act(() => turnOn(user, vapid.data!.public_key!))}
                >
                  Turn on notifications here
                </button>
              </p>
            )}
            <ErrorLine error={failed} />
          </div>
        )}
      </Card>
      {subs.data && items.length === 0 && <p class="muted">None of your browsers takes notifications yet.</p>}
      {items.map((s) => (
        <BrowserCard
          key={s.id}
          s={s}
          here={s.id === mine}
          streams={streams.data?.items.map((x) => x.id) ?? []}
          reload={subs.reload}
          onGone={() => {
            if (s.id === mine) void act(() => turnOff(user));
          }}
        />
      ))}
    </div>
  );
}

/** A browser's short name from its user agent. */
function browserName(agent: string | null): string {
  if (!agent) return 'A browser';
  const b = /Edg\//.test(agent)
    ? 'Edge'
    : /Firefox\//.test(agent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(agent)
        ? 'Chrome'
        : /Safari\//.test(agent)
          ? 'Safari'
          : 'A browser';
  const os = /Android/.test(agent)
    ? 'Android'
    : /iPhone|iPad/.test(agent)
      ? 'iOS'
      : /Windows/.test(agent)
        ? 'Windows'
        : /Mac OS X/.test(agent)
          ? 'macOS'
          : /Linux/.test(agent)
            ? 'Linux'
            : null;
  return os ? `${b} on ${os}` : b;
}

function BrowserCard(p: {
  s: BoxSubscription;
  here: boolean;
  streams: string[];
  reload: () => void;
  onGone: () => void;
}) {
  const { s } = p;
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [quiet, setQuiet] = useState(s.prefs.quiet !== null);
  const snoozed = s.prefs.snoozed_until !== null && s.prefs.snoozed_until > Date.now();
  const ids = [...new Set([...p.streams, ...s.prefs.streams])].sort();
  useEffect(() => setQuiet(s.prefs.quiet !== null), [s.prefs.quiet]);

  const send = async (what: string, fn: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setSaid(null);
    try {
      setSaid(await fn());
      p.reload();
    } catch (e) {
      setError(`${what}: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const change = (prefs: Partial<Prefs>, done: string) =>
    send('Not saved', async () => {
      await sendJson(`api/notify/subscriptions/${s.id}`, 'PATCH', { prefs });
      return done;
    });

  const save = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    void change(
      {
        streams: ids.filter((id) => f.get(`stream:${id}`)),
        severities: (['alert', 'detection'] as const).filter((v) => f.get(`severity:${v}`)),
        labels: names(text('labels')),
        zones: names(text('zones')),
        cooldown_s: Number(text('cooldown_s')),
        quiet: quiet ? { from: text('quiet_from'), to: text('quiet_to') } : null,
      },
      'Saved.',
    );
  };
  const test = () =>
    send('The test push failed', async () => {
      const r = await sendJson<{ delivered: boolean; status: number | null; error: string | null; removed?: boolean }>(
        `api/notify/subscriptions/${s.id}/test`,
        'POST',
        {},
      );
      if (r.removed) p.onGone();
      if (!r.delivered)
        throw new Error(
          r.removed ? 'the push service says this browser is gone; it was removed' : (r.error ?? `status ${r.status}`),
        );
      return 'Test notification sent: it shows on that browser in a moment.';
    });
  const remove = () =>
    send('Not removed', async () => {
      const r = await api(`api/notify/subscriptions/${s.id}`, { method: 'DELETE' });
      if (!r.ok) throw new Error(`status ${r.status}`);
      if (p.here) p.onGone();
      return 'Removed.';
    });

  return (
    <Card
      class="push-browser"
      title={
        <>
          {browserName(s.agent)} {p.here && <small class="badge ok">this browser</small>}
        </>
      }
    >
      <div class="figures">
        <Figure label="push service" value={s.service} />
        <Figure label="sent" value={s.sent} />
        <Figure label="last delivered" value={when(s.last_ok)} />
        <Figure label="failures in a row" value={s.failures} />
      </div>
      {s.last_error && <p class="why">Last failure: {s.last_error}</p>}
      <form class="push-prefs" onSubmit={save}>
        <fieldset>
          <legend>Streams (none ticked: all)</legend>
          <div class="row">
            {ids.length === 0 && <span class="muted">No streams on this box.</span>}
            {ids.map((id) => (
              <label key={id} class="check">
                <input type="checkbox" name={`stream:${id}`} defaultChecked={s.prefs.streams.includes(id)} />
                {id}
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>Severity</legend>
          <div class="row">
            <label class="check">
              <input type="checkbox" name="severity:alert" defaultChecked={s.prefs.severities.includes('alert')} />
              Alerts
            </label>
            <label class="check">
              <input
                type="checkbox"
                name="severity:detection"
                defaultChecked={s.prefs.severities.includes('detection')}
              />
              Detections
            </label>
          </div>
        </fieldset>
        <div class="row">
          <label>
            Labels (comma-separated; empty: any)
            <input name="labels" maxLength={2000} placeholder="person, car" defaultValue={s.prefs.labels.join(', ')} />
          </label>
          <label>
            Zones (empty: anywhere)
            <input name="zones" maxLength={2000} placeholder="gate" defaultValue={s.prefs.zones.join(', ')} />
          </label>
          <label>
            Cooldown per stream (seconds)
            <input
              name="cooldown_s"
              type="number"
              min={0}
              max={86400}
              required
              defaultValue={String(s.prefs.cooldown_s)}
            />
          </label>
        </div>
        <div class="row">
          <label class="check">
            <input type="checkbox" name="quiet" checked={quiet} onChange={(e) => setQuiet(e.currentTarget.checked)} />
            Quiet hours
          </label>
          {(
            [
              ['From', 'quiet_from', s.prefs.quiet?.from ?? '22:00'],
              ['To', 'quiet_to', s.prefs.quiet?.to ?? '07:00'],
            ] as const
          ).map(([label, name, value]) => (
            <label key={name}>
              {label}
              <input name={name} type="time" disabled={!quiet} required={quiet} defaultValue={value} />
            </label>
          ))}
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Save choices
          </button>
          <button type="button" disabled={busy} onClick={() => void test()}>
            Send a test notification
          </button>
          <button type="button" class="ghost danger" disabled={busy} onClick={() => void remove()}>
            Remove
          </button>
        </div>
      </form>
      <div class="row snooze">
        {snoozed ? (
          <>
            <span>Snoozed until {new Date(s.prefs.snoozed_until!).toLocaleString()}.</span>
            <button
              type="button"
              class="ghost"
              disabled={busy}
              onClick={() => void change({ snoozed_until: null }, 'Resumed.')}
            >
              Resume
            </button>
          </>
        ) : (
          <>
            <span class="muted">Snooze for</span>
            {SNOOZES.map(([sec, label]) => (
              <button
                key={sec}
                type="button"
                class="ghost"
                disabled={busy}
                onClick={() => void change({ snoozed_until: Date.now() + sec * 1000 }, `Snoozed for ${label}.`)}
              >
                {label}
              </button>
            ))}
          </>
        )}
      </div>
      <ErrorLine error={error} />
      {said && (
        <p class="ok" role="status">
          {said}
        </p>
      )}
    </Card>
  );
}
