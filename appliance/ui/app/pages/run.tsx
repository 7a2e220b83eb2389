/**
 * @module One run: its state and progress, the pipeline DAG coloured by step state (live: the page
 * follows the run's progress messages on /ws/analysis), its items with their results, an item's
 * input beside its annotated output with zoom, the log, and cancel, retry, resubmit with edited
 * overrides, delete.
 */
import { Overlay, type OverlayData } from '../components/overlay';
import { useEffect, useRef, useState } from 'preact/hooks';
import { credential, sendJson, json, wsHref } from '../api';
import { ApiImage, Badge, Card, ErrorLine, Figure, when } from '../components/ui';
import { Dag, type StepView } from '../components/dag';
import { usePoll } from '../hooks';
import { Link, navigate } from '../router';
import { Progress, StageOptions, type RunSummary, type StageInfo } from './runs';

interface Attempt {
  at: string;
  ms: number;
  error: string | null;
  retry_in_s: number | null;
}
interface ItemView {
  index: number;
  kind: 'upload' | 'image' | 'video';
  name: string | null;
  source: string | null;
  input_url: string | null;
  status: string;
  attempts: number;
  error: string | null;
  steps: Record<string, { status: string; attempts: Attempt[] }>;
  output: {
    width?: number;
    height?: number;
    detections: Array<{ label: string; score: number; box: number[]; track_id: number | null }>;
    labels: Record<string, number>;
    frames?: number;
    outputs: Record<string, { file?: string | null; image?: Array<{ label: string; score: number }> | null } | null>;
    registered: string[];
  } | null;
}
interface RunView extends RunSummary {
  spec: { overrides: Record<string, unknown> };
  pipeline_file: string;
  progress: { done: number; total: number; percent: number };
  counts: Record<string, number>;
  steps: Record<string, StepView>;
  stages: Array<{ name: string; type: string; needs: string[]; options: Record<string, unknown> }>;
  items: ItemView[];
  items_total: number;
  created_by: string | null;
}

const ENDED = ['succeeded', 'failed', 'partially_failed', 'canceled'];

/** Reload when the run reports progress (WebSocket), at most every 400 ms. */
function useRunFeed(id: string, reload: () => void, on: boolean): boolean {
  const [live, setLive] = useState(false);
  const last = useRef(0);
  useEffect(() => {
    if (!on) return;
    const c = credential();
    const ws = new WebSocket(wsHref('ws/analysis'), c ? ['json', `bearer.${c}`] : ['json']);
    let timer: ReturnType<typeof setTimeout> | undefined;
    ws.onopen = () => {
      setLive(true);
      ws.send(
        JSON.stringify({
          type: 'subscribe',
          runs: [id],
          events: ['runProgress', 'stepStarted', 'stepSucceeded', 'stepFailed'],
        }),
      );
    };
    ws.onmessage = () => {
      const wait = Math.max(0, 400 - (Date.now() - last.current));
      clearTimeout(timer);
      timer = setTimeout(() => {
        last.current = Date.now();
        reload();
      }, wait);
    };
    ws.onclose = () => setLive(false);
    return () => {
      clearTimeout(timer);
      ws.close();
    };
  }, [id, on]);
  return live;
}

/** An item's detections as the overlay draws them: boxes over the picture, in its own 0..1 coordinates. */
function detectionsOver(o: NonNullable<ItemView['output']>): OverlayData | null {
  if (!o.width || !o.height || !o.detections.length) return null;
  const [w, h] = [o.width, o.height];
  return {
    width: w,
    height: h,
    zones: [],
    lines: [],
    detections: o.detections.map((d) => ({
      label: d.label,
      score: d.score,
      track_id: d.track_id ?? null,
      box: [d.box[0]! / w, d.box[1]! / h, d.box[2]! / w, d.box[3]! / h] as [number, number, number, number],
    })),
  };
}

/**
 * The input and its annotated output side by side, zoomed together, scrolled together. Without an
 * annotate stage the second pane is the input with the item's detections drawn over it.
 */
function Compare(p: { before: string | null; after: string | null; boxes: OverlayData | null }) {
  const [zoom, setZoom] = useState(1);
  const panes = [useRef<HTMLDivElement>(null), useRef<HTMLDivElement>(null)];
  const sync = (from: number) => () => {
    const a = panes[from]!.current;
    const b = panes[1 - from]!.current;
    if (a && b && (b.scrollLeft !== a.scrollLeft || b.scrollTop !== a.scrollTop)) {
      b.scrollLeft = a.scrollLeft;
      b.scrollTop = a.scrollTop;
    }
  };
  return (
    <div class="compare-wrap">
      <label class="zoom">
        Zoom
        <input
          type="range"
          min={1}
          max={4}
          step={0.5}
          value={zoom}
          onInput={(e) => setZoom(Number(e.currentTarget.value))}
        />
        <span>{zoom}×</span>
      </label>
      <div class="compare" style={{ '--zoom': zoom }}>
        {[p.before, p.after ?? (p.boxes ? p.before : null)].map((path, i) => (
          <figure key={i}>
            <div class="pane" ref={panes[i]} onScroll={sync(i)}>
              <div class="boxed">
                <ApiImage path={path} alt={i === 0 ? 'Input' : 'Annotated output'} />
                {i === 1 && !p.after && p.boxes && <Overlay data={p.boxes} />}
              </div>
            </div>
            <figcaption>
              {i === 0
                ? 'Input'
                : p.after
                  ? 'Annotated'
                  : p.boxes
                    ? `Detections (${p.boxes.detections.length})`
                    : 'Nothing detected'}
            </figcaption>
          </figure>
        ))}
      </div>
    </div>
  );
}

function ItemDetail(p: { runId: string; item: ItemView }) {
  const it = p.item;
  const annotated = Object.values(it.output?.outputs ?? {}).find((o) => o && typeof o.file === 'string')?.file ?? null;
  const classes = Object.values(it.output?.outputs ?? {}).find((o) => o && Array.isArray(o.image))?.image ?? null;
  return (
    <Card
      title={`Item ${it.index}: ${it.name ?? it.source ?? ''}`}
      class="item-detail"
      actions={<Badge state={it.status} />}
    >
      <ErrorLine error={it.error} />
      {it.kind !== 'video' && (
        <Compare
          before={it.input_url ? it.input_url.replace(/^\//, '') : null}
          after={annotated ? `api/runs/${p.runId}/files/${annotated}` : null}
          boxes={it.output ? detectionsOver(it.output) : null}
        />
      )}
      {it.output && (
        <dl class="facts">
          {it.output.frames !== undefined && (
            <>
              <dt>Frames</dt>
              <dd>{it.output.frames}</dd>
            </>
          )}
          <dt>Found</dt>
          <dd>
            {Object.entries(it.output.labels)
              .map(([l, n]) => `${n} × ${l}`)
              .join(', ') || 'nothing'}
          </dd>
          {classes && (
            <>
              <dt>Classified as</dt>
              <dd>{classes.map((c) => `${c.label} ${(c.score * 100).toFixed(0)}%`).join(', ')}</dd>
            </>
          )}
          {it.output.registered.length > 0 && (
            <>
              <dt>In the library</dt>
              <dd>{it.output.registered.length} image(s)</dd>
            </>
          )}
        </dl>
      )}
      <table class="attempts">
        <thead>
          <tr>
            <th>Step</th>
            <th>State</th>
            <th>Attempts</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(it.steps).map(([name, s]) => (
            <tr key={name}>
              <td>{name}</td>
              <td>
                <Badge state={s.status} />
              </td>
              <td>
                {s.attempts.map((a, i) => (
                  <span key={i} class={a.error ? 'attempt bad' : 'attempt'} title={a.error ?? undefined}>
                    {a.ms} ms{a.error ? ` ✗${a.retry_in_s !== null ? ` retry in ${a.retry_in_s}s` : ''}` : ''}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function Log(p: { id: string; running: boolean }) {
  const { data } = usePoll<{ lines: Array<{ seq: number; at: string; level: string; message: string }> }>(
    `api/runs/${p.id}/log`,
    p.running ? 2000 : 0,
  );
  return (
    <Card title="Log" class="run-log">
      <ol class="log">
        {data?.lines.map((l) => (
          <li key={l.seq} class={l.level}>
            <time>{new Date(l.at).toLocaleTimeString()}</time> {l.message}
          </li>
        ))}
      </ol>
    </Card>
  );
}

function Resubmit(p: { run: RunView; onDone: (id: string) => void }) {
  const { data: stages } = usePoll<{ items: StageInfo[] }>('api/stages');
  const [overrides, setOverrides] = useState<Record<string, unknown>>(p.run.spec.overrides ?? {});
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    try {
      const r = await sendJson<{ run_id: string }>(`api/runs/${p.run.run_id}/resubmit`, 'POST', { overrides });
      p.onDone(r.run_id);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Card title="Resubmit with edited options" class="resubmit">
      {stages && (
        <StageOptions
          pipeline={{ name: p.run.pipeline, stages: p.run.stages }}
          stages={stages.items}
          overrides={overrides}
          setOverrides={setOverrides}
        />
      )}
      <ErrorLine error={error} />
      <button type="button" class="primary" onClick={() => void go()}>
        Start the new run
      </button>
    </Card>
  );
}

export function RunPage(p: { id: string }) {
  const [poll, setPoll] = useState(1500);
  const { data: run, error, reload } = usePoll<RunView>(`api/runs/${p.id}?items_limit=200`, poll);
  const running = !!run && !ENDED.includes(run.status);
  useEffect(() => setPoll(running || !run ? 1500 : 0), [running, run === null]);
  const live = useRunFeed(p.id, reload, running);
  const [selected, setSelected] = useState<number | null>(null);
  const [editing, setEditing] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const act = async (what: 'cancel' | 'retry' | 'delete') => {
    setActionError(null);
    try {
      if (what === 'delete') {
        if (!confirm('Delete this run, its files, its results and what it registered?')) return;
        await json(`api/runs/${p.id}`, { method: 'DELETE' });
        return navigate('/runs');
      }
      await json(`api/runs/${p.id}/${what}`, { method: 'POST' });
      reload();
    } catch (e) {
      setActionError((e as Error).message);
    }
  };
  if (!run) return error ? <ErrorLine error={error} /> : <p class="muted">Loading…</p>;
  const item = run.items.find((i) => i.index === selected) ?? null;
  return (
    <div class="run-page" data-status={run.status}>
      <Card
        title={
          <>
            <Link to="/runs">Runs</Link> / {run.pipeline} {run.label && <span class="muted">· {run.label}</span>}
          </>
        }
        actions={
          <span class="run-actions">
            {live && <span class="dot ok" title="live" />}
            <Badge state={run.status} />
          </span>
        }
      >
        <Progress counts={run.counts} total={run.total} />
        <div class="figures">
          <Figure label="done" value={`${run.progress.done}/${run.progress.total}`} />
          <Figure label="succeeded" value={run.counts.succeeded ?? 0} />
          <Figure label="failed" value={run.counts.failed ?? 0} />
          <Figure label="created" value={when(run.created_at)} />
          <Figure label="finished" value={when(run.finished_at)} />
        </div>
        {run.parent_id && (
          <p class="muted">
            Resubmitted from <Link to={`/runs/${run.parent_id}`}>{run.parent_id.slice(0, 8)}</Link>
          </p>
        )}
        {Object.keys(run.spec.overrides ?? {}).length > 0 && (
          <p class="muted">
            Overrides:{' '}
            {Object.entries(run.spec.overrides)
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(', ')}
          </p>
        )}
        <p class="actions">
          {running && (
            <button type="button" onClick={() => void act('cancel')}>
              Cancel
            </button>
          )}
          {!running && (run.counts.failed ?? 0) > 0 && (
            <button type="button" onClick={() => void act('retry')}>
              Retry failed items
            </button>
          )}
          <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            Resubmit…
          </button>
          {!running && (
            <button type="button" class="danger" onClick={() => void act('delete')}>
              Delete
            </button>
          )}
        </p>
        <ErrorLine error={actionError} />
      </Card>
      {editing && <Resubmit run={run} onDone={(id) => navigate(`/runs/${id}`)} />}
      <Card title="Pipeline">
        <Dag stages={run.stages} steps={run.steps} />
      </Card>
      <div class="run-body">
        <Card title={`Items (${run.items_total})`} class="run-items">
          <table class="items">
            <thead>
              <tr>
                <th>#</th>
                <th>Input</th>
                <th>State</th>
                <th>Found</th>
              </tr>
            </thead>
            <tbody>
              {run.items.map((it) => (
                <tr
                  key={it.index}
                  data-item={it.index}
                  class={selected === it.index ? 'selected' : ''}
                  onClick={() => setSelected(it.index)}
                >
                  <td>{it.index}</td>
                  <td>
                    <button type="button" class="link" onClick={() => setSelected(it.index)}>
                      {it.name ?? it.source ?? it.kind}
                    </button>
                  </td>
                  <td>
                    <Badge state={it.status} title={it.error ?? undefined} />
                  </td>
                  <td class="found">
                    {it.error ??
                      Object.entries(it.output?.labels ?? {})
                        .map(([l, n]) => `${n} ${l}`)
                        .join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        {item ? <ItemDetail runId={run.run_id} item={item} /> : <Log id={run.run_id} running={running} />}
      </div>
      {item && <Log id={run.run_id} running={running} />}
    </div>
  );
}
