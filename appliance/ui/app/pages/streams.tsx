/**
 * @module Streams and pipelines: each stream's pipeline drawn as its DAG (stages by depth, with
 * type@version, options and mean ms), and a form to change its pipeline or overrides (PATCH) that
 * shows the server's file:line errors inline. Read-only on a box that follows a fleet repo. A stream
 * with a shadow pipeline shows how the two compare below.
 */
import { useState } from 'preact/hooks';
import { sendJson } from '../api';
import { Badge, Card, ErrorLine } from '../components/ui';
import { usePoll } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import type { StreamView } from './live';
import { ShadowPanel } from './shadow';

interface Stage {
  name: string;
  type: string;
  needs: string[];
  options: Record<string, unknown>;
  ms: number | null;
}
interface PipelineView {
  name: string;
  fps: number;
  overrides: Record<string, unknown>;
  revision: string | null;
  stages: Stage[];
}

/** Stages in columns by depth: a stage sits one column right of the deepest stage it needs. */
export function layers(stages: Stage[]): Stage[][] {
  const depth = new Map<string, number>();
  const of = (s: Stage): number => {
    if (!depth.has(s.name))
      depth.set(s.name, Math.max(-1, ...s.needs.map((n) => of(stages.find((x) => x.name === n)!))) + 1);
    return depth.get(s.name)!;
  };
  const cols: Stage[][] = [];
  for (const s of stages) {
    const d = of(s);
    cols[d] = [...(cols[d] ?? []), s];
  }
  return cols;
}

function Dag(p: { stages: Stage[] }) {
  const cols = layers(p.stages);
  return (
    <ol class="dag" aria-label="Pipeline stages in order">
      {cols.map((col, i) => (
        <li key={i} class="dag-col">
          {col.map((s) => (
            <div key={s.name} class="stage" data-stage={s.name}>
              <strong>{s.name}</strong>
              <code>{s.type}</code>
              {s.needs.length > 0 && <small>after {s.needs.join(', ')}</small>}
              <span class="ms">{s.ms === null ? '—' : `${s.ms} ms`}</span>
              <details>
                <summary>options</summary>
                <pre>{JSON.stringify(s.options, null, 1)}</pre>
              </details>
            </div>
          ))}
        </li>
      ))}
    </ol>
  );
}

/** `detect.score=0.5` lines to an overrides object (values parsed as JSON when they are JSON). */
export function parseOverrides(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const at = line.indexOf('=');
    if (at < 1) throw new Error(`"${line}": write stage.option=value`);
    const v = line.slice(at + 1).trim();
    try {
      out[line.slice(0, at).trim()] = JSON.parse(v);
    } catch {
      out[line.slice(0, at).trim()] = v;
    }
  }
  return out;
}

const overridesText = (o: Record<string, unknown>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');

function Change(p: { id: string; pipeline: PipelineView; onDone: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    setError(null);
    setSaved(false);
    try {
      await sendJson(`api/streams/${encodeURIComponent(p.id)}`, 'PATCH', {
        pipeline: String(f.get('pipeline')),
        overrides: parseOverrides(String(f.get('overrides') ?? '')),
      });
      setSaved(true);
      p.onDone();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form class="change" onSubmit={submit}>
      <label>
        Pipeline
        <input name="pipeline" value={p.pipeline.name} required />
      </label>
      <label>
        Overrides <small>(one stage.option=value a line)</small>
        <textarea name="overrides" rows={3} value={overridesText(p.pipeline.overrides)} spellcheck={false} />
      </label>
      <ErrorLine error={error} />
      {saved && <p class="ok">Applied: the stream runs the new pipeline.</p>}
      <button type="submit" class="primary">
        Apply
      </button>
    </form>
  );
}

export function Streams(p: { id: string | null }) {
  const { can } = useSession();
  const { data } = usePoll<{ items: StreamView[] }>('api/streams', 3000);
  const id = p.id ?? data?.items[0]?.id ?? null;
  const known = !!data?.items.some((s) => s.id === id);
  const pipe = usePoll<PipelineView>(id && known ? `api/streams/${encodeURIComponent(id)}/pipeline` : null, 3000);
  // Only streams that have a shadow pipeline are asked for its report (others would answer 404).
  const shadows = usePoll<{ items: Array<{ stream: string }> }>('api/shadow', 10_000);
  const shadowed = !!id && !!shadows.data?.items.some((r) => r.stream === id);
  return (
    <div class="streams">
      <nav class="stream-list card" aria-label="Streams">
        {data?.items.map((s) => (
          <Link key={s.id} to={`/streams/${encodeURIComponent(s.id)}`} aria-current={s.id === id ? 'page' : undefined}>
            {s.id} <Badge state={s.state} />
          </Link>
        ))}
        {data?.items.length === 0 && <p class="muted">No streams.</p>}
      </nav>
      <div class="stream-detail">
        {id && data && !known && (
          <Card title="No such stream">
            <p>
              This box has no stream <code>{id}</code>. Pick one from the list.
            </p>
          </Card>
        )}
        {id && pipe.data && (
          <Card
            title={`${id}: ${pipe.data.name}`}
            actions={
              pipe.data.revision ? <code title="fleet revision">{pipe.data.revision.slice(0, 12)}</code> : undefined
            }
          >
            <Dag stages={pipe.data.stages} />
            {pipe.data.revision ? (
              <p class="muted">
                This box follows its fleet repo: change the pipeline there (revision {pipe.data.revision.slice(0, 12)}).
              </p>
            ) : (
              can('streams:write') && <Change id={id} pipeline={pipe.data} onDone={pipe.reload} />
            )}
          </Card>
        )}
        {shadowed && <ShadowPanel stream={id} />}
      </div>
    </div>
  );
}
