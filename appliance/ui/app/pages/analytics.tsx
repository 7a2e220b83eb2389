/**
 * @module Analytics: what the box saw over days. A session or stream picker, a year calendar of the
 * chosen metric, its time series with the abundance of selected classes, and the class table with a
 * sparkline per class; each as CSV. The choices live in the URL, so a view can be linked. Readable
 * without signing in when the box's analytics are public.
 */
import { useMemo } from 'preact/hooks';
import { api } from '../api';
import { Calendar } from '../components/calendar';
import { type Line, SeriesChart } from '../components/series-chart';
import { Spark } from '../components/spark';
import { Card, ErrorLine } from '../components/ui';
import { usePoll } from '../hooks';
import { Link, navigate, useRoute } from '../router';
import { useSession } from '../session';
import type { AnalysisSession, ClassSummary } from '../../../contracts/analytics';

/** A session as the API shows it. */
export type SessionView = AnalysisSession;

interface Series {
  from: string;
  to: string;
  points: Array<{ t: string; value: number | null; total: number; classes: Record<string, number> }>;
}

/** The metrics in plain words, plainest first (the page opens on it), each with what it says. */
export const METRICS: Record<string, string> = {
  richness: 'Classes seen (richness)',
  shannon: 'Shannon diversity',
  simpson: 'Chance two differ (Simpson)',
  evenness: 'Evenness',
  hill1: 'Effective number of classes',
};
const MEANING: Record<string, string> = {
  richness: 'How many different classes were seen.',
  shannon: 'Higher when there are many classes in even numbers; 0 when one class is all there is.',
  simpson: 'The chance that two objects picked at random are of different classes.',
  evenness: 'How evenly the objects spread over the classes seen, from 0 to 1.',
  hill1: 'How many equally common classes would give the same diversity.',
};
const SOURCES: Array<readonly [string, string]> = [
  ['streams', 'Cameras'],
  ['runs', 'Runs (photos and clips)'],
  ['all', 'Cameras and runs'],
];
const ABUNDANCES: Record<string, string> = {
  tracks: 'tracks',
  events: 'independent events',
  detections: 'detections',
};

const fmt = (v: number | null) => (v === null ? 'undefined' : Number.isInteger(v) ? String(v) : v.toFixed(3));

/** Save what a view answers as CSV (the credential goes in a header, so not a plain link). */
async function download(path: string, name: string) {
  const res = await api(`${path}${path.includes('?') ? '&' : '?'}format=csv`);
  if (!res.ok) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = `${name}.csv`;
  a.click();
  URL.revokeObjectURL(a.href);
}

/** A labelled select of [value, text] options. */
function Choice(p: {
  label: string;
  value: string;
  options: ReadonlyArray<readonly [string, string]>;
  onPick: (v: string) => void;
}) {
  return (
    <label>
      {p.label}
      <select value={p.value} onChange={(e) => p.onPick((e.target as HTMLSelectElement).value)}>
        {p.options.map(([k, v]) => (
          <option key={k} value={k}>
            {v}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Analytics() {
  const { query } = useRoute();
  const { can } = useSession();
  const session = query.get('session') ?? '';
  const stream = query.get('stream') ?? '';
  const metric = query.get('metric') ?? 'richness';
  const source = query.get('source') ?? 'streams';
  const abundance = query.get('abundance') ?? 'tracks';
  const interval = query.get('interval') ?? 'day';
  const day = query.get('day') ?? '';
  const picked = query.get('classes') ?? '';
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(location.search);
    if (v) next.set(k, v);
    else next.delete(k);
    if (k === 'session' || k === 'stream') next.delete('day');
    navigate(`/analytics?${next}`);
  };

  const scope = new URLSearchParams();
  if (session) scope.set('session', session);
  if (stream) scope.set('stream', stream);
  if (!session && !stream && source !== 'streams') scope.set('source', source);
  scope.set('abundance', abundance);
  const sessions = usePoll<{ items: SessionView[] }>('api/sessions');
  const calendarPath = `api/analytics/calendar/${metric}?${scope}`;
  const calendar = usePoll<{ from: string; to: string; days: Array<{ day: string; value: number | null }> }>(
    calendarPath,
    60_000,
  );
  const classScope = new URLSearchParams(scope);
  if (day) {
    classScope.set('from', day);
    classScope.set('to', day);
  }
  const classesPath = `api/analytics/classes?${classScope}`;
  const classes = usePoll<{ from: string; to: string; classes: ClassSummary[]; streams: string[] }>(
    classesPath,
    60_000,
  );
  const top = classes.data?.classes.slice(0, 20).map((c) => c.label) ?? [];
  const chosen = picked ? picked.split(',') : top.slice(0, 3);
  const seriesScope = new URLSearchParams(scope);
  seriesScope.set('metric', metric);
  seriesScope.set('interval', interval);
  if (interval === 'hour' && day) {
    seriesScope.set('from', day);
    seriesScope.set('to', day);
  } else if (calendar.data && interval !== 'hour') {
    seriesScope.set('from', calendar.data.from);
    seriesScope.set('to', calendar.data.to);
  }
  const seriesPath = `api/analytics/time-series?${seriesScope}`;
  const series = usePoll<Series>(seriesPath, 60_000);
  // Sparklines: each class per day over the calendar's range.
  const sparkScope = new URLSearchParams(scope);
  sparkScope.set('interval', 'day');
  if (calendar.data) {
    sparkScope.set('from', calendar.data.from);
    sparkScope.set('to', calendar.data.to);
  }
  const sparks = usePoll<Series>(calendar.data ? `api/analytics/time-series?${sparkScope}` : null, 60_000);

  const values = useMemo(
    () => new Map((calendar.data?.days ?? []).map((d) => [d.day, d.value] as const)),
    [calendar.data],
  );
  const times = useMemo(() => series.data?.points.map((p) => p.t) ?? [], [series.data]);
  const lines = useMemo<Line[]>(() => {
    const pts = series.data?.points ?? [];
    return [
      { label: METRICS[metric] ?? metric, values: pts.map((p) => p.value), scale: 'metric' as const },
      ...chosen.map((c) => ({ label: c, values: pts.map((p) => p.classes[c] ?? 0), scale: 'count' as const })),
    ];
  }, [series.data, picked, metric, top.join()]);
  const sparkOf = (label: string) => {
    const byDay = new Map((sparks.data?.points ?? []).map((p) => [p.t, p.classes[label] ?? 0]));
    const out: number[] = [];
    if (!calendar.data) return out;
    for (
      let t = Date.parse(`${calendar.data.from}T00:00:00Z`);
      t <= Date.parse(`${calendar.data.to}T00:00:00Z`);
      t += 86_400_000
    )
      out.push(byDay.get(new Date(t).toISOString().slice(0, 10)) ?? 0);
    return out;
  };
  const toggleClass = (c: string) => {
    const next = chosen.includes(c) ? chosen.filter((x) => x !== c) : [...chosen, c];
    set('classes', next.join(','));
  };
  const current = sessions.data?.items.find((s) => s.id === session);

  return (
    <div class="analytics">
      <form class="filters an-filters" aria-label="What to show" onSubmit={(e) => e.preventDefault()}>
        <Choice
          label="Session"
          value={session}
          options={[['', 'All streams'], ...(sessions.data?.items.map((s) => [s.id, s.name] as const) ?? [])]}
          onPick={(v) => set('session', v)}
        />
        <Choice
          label="Stream"
          value={stream}
          options={[
            ['', session ? 'All in the session' : 'All'],
            ...(current ? current.streams.map((s) => s.stream) : (classes.data?.streams ?? [])).map(
              (s) => [s, s] as const,
            ),
          ]}
          onPick={(v) => set('stream', v)}
        />
        {!session && !stream && (
          <Choice label="Counted from" value={source} options={SOURCES} onPick={(v) => set('source', v)} />
        )}
        <Choice label="Metric" value={metric} options={Object.entries(METRICS)} onPick={(v) => set('metric', v)} />
        <Choice
          label="Counting"
          value={abundance}
          options={Object.entries(ABUNDANCES)}
          onPick={(v) => set('abundance', v)}
        />
        {can('analytics:write') && (
          <Link to="/analytics/sessions" class="button ghost">
            Sessions…
          </Link>
        )}
      </form>
      {current && (
        <p class="muted session-line">
          {current.description || current.name}: from {new Date(current.starts_at).toLocaleString()} until{' '}
          {current.ends_at ? new Date(current.ends_at).toLocaleString() : 'now'} ·{' '}
          {[
            ...current.streams.map((s) => (s.zones.length ? `${s.stream} (${s.zones.join(', ')})` : s.stream)),
            ...current.runs.map((r) => `run ${r.slice(0, 8)}`),
          ].join(', ')}
        </p>
      )}
      <p class="muted metric-meaning">
        {METRICS[metric]}: {MEANING[metric]}
      </p>
      <ErrorLine error={calendar.error ?? classes.error ?? series.error} />

      <Card
        title={`${METRICS[metric]} per day${calendar.data ? ` · ${calendar.data.from} to ${calendar.data.to}` : ''}`}
        actions={
          <button type="button" class="ghost" onClick={() => void download(calendarPath, `calendar-${metric}`)}>
            CSV
          </button>
        }
      >
        {calendar.data && (
          <Calendar
            from={calendar.data.from}
            to={calendar.data.to}
            values={values}
            label={METRICS[metric] ?? metric}
            format={fmt}
            picked={day || undefined}
            linkOf={(d) => {
              const next = new URLSearchParams(location.search);
              if (d === day) next.delete('day');
              else next.set('day', d);
              return `/analytics?${next}`;
            }}
          />
        )}
        {calendar.data && calendar.data.days.length === 0 && <p class="muted">Nothing counted in this range yet.</p>}
      </Card>

      <Card
        title="Over time"
        actions={
          <span class="actions">
            <select
              aria-label="Interval"
              value={interval}
              onChange={(e) => set('interval', (e.target as HTMLSelectElement).value)}
            >
              <option value="hour">per hour{day ? ` on ${day}` : ' (pick a day)'}</option>
              <option value="day">per day</option>
              <option value="week">per week</option>
            </select>
            <button
              type="button"
              class="ghost"
              onClick={() => void download(seriesPath, `series-${metric}-${interval}`)}
            >
              CSV
            </button>
          </span>
        }
      >
        <fieldset class="chips">
          <legend class="sr-only">Classes on the chart</legend>
          {top.map((c) => (
            <label key={c} class={`chip ${chosen.includes(c) ? 'on' : ''}`}>
              <input type="checkbox" checked={chosen.includes(c)} onChange={() => toggleClass(c)} />
              {c}
            </label>
          ))}
        </fieldset>
        <SeriesChart
          times={times}
          lines={lines}
          range={series.data ? { from: series.data.from, to: series.data.to, interval } : null}
          label={`${METRICS[metric]} and class ${abundance} per ${interval}`}
        />
      </Card>

      <Card
        // From the answer, not the URL: the heading changes with the rows it heads.
        title={`Classes${classes.data?.from === classes.data?.to && classes.data ? ` on ${classes.data.from}` : ''}${classes.data ? ` · ${classes.data.classes.length}` : ''}`}
        actions={
          <button type="button" class="ghost" onClick={() => void download(classesPath, 'classes')}>
            CSV
          </button>
        }
      >
        {classes.data?.classes.length === 0 && <p class="muted">No classes counted here.</p>}
        {!!classes.data?.classes.length && (
          <table class="classes">
            <thead>
              <tr>
                <th>Class</th>
                <th class="num">{ABUNDANCES[abundance]}</th>
                <th class="num">Share</th>
                <th>First seen</th>
                <th>Last seen</th>
                <th class="num">Days</th>
                <th>Per day</th>
              </tr>
            </thead>
            <tbody>
              {classes.data.classes.map((c) => (
                <tr key={c.label}>
                  <td>{c.label}</td>
                  <td class="num">{c.total}</td>
                  <td class="num">{c.share === null ? '—' : `${(c.share * 100).toFixed(1)} %`}</td>
                  <td>{new Date(c.first_seen).toLocaleString()}</td>
                  <td>{new Date(c.last_seen).toLocaleString()}</td>
                  <td class="num">{c.days}</td>
                  <td>
                    <Spark values={sparkOf(c.label)} label={`${c.label} per day`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
