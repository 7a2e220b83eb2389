/**
 * @module Runs: the history of pipeline runs with filters (status, pipeline, label), each with its
 * progress; and the new-run form: a pipeline, photos, its stages' options as fields generated from
 * their JSON Schema (what is changed becomes an override), priority, label, what to keep.
 */
import { useState } from 'preact/hooks';
import { Badge, Card, count, ErrorLine, Pager, when } from '../components/ui';
import { type JsonSchema, SchemaFields } from '../components/schema-fields';
import { usePoll } from '../hooks';
import { Link, navigate, useRoute } from '../router';
import { messageOf, uploadFile } from '../upload';

export interface RunSummary {
  run_id: string;
  status: string;
  pipeline: string;
  label: string | null;
  priority: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  total: number;
  parent_id: string | null;
  counts?: Record<string, number>;
}

const STATES = ['queued', 'running', 'succeeded', 'partially_failed', 'failed', 'canceled', 'interrupted'];
const PAGE = 25;

export function Progress(p: { counts: Record<string, number>; total: number }) {
  const part = (k: string) => ((p.counts[k] ?? 0) / Math.max(1, p.total)) * 100;
  const done = (p.counts.succeeded ?? 0) + (p.counts.failed ?? 0) + (p.counts.skipped ?? 0);
  return (
    <div
      class="progress"
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={p.total}
      aria-valuenow={done}
      aria-label={`${done} of ${p.total} done`}
    >
      <span class="ok" style={{ width: `${part('succeeded')}%` }} />
      <span class="bad" style={{ width: `${part('failed')}%` }} />
      <span class="mute" style={{ width: `${part('skipped')}%` }} />
    </div>
  );
}

export function Runs() {
  const { query } = useRoute();
  const page = Number(query.get('page') ?? 1);
  const qs = new URLSearchParams();
  for (const k of ['status', 'pipeline', 'label']) if (query.get(k)) qs.set(k, query.get(k)!);
  qs.set('page', String(page));
  qs.set('limit', String(PAGE));
  const { data, error } = usePoll<{ items: RunSummary[]; total: number }>(`api/runs?${qs}`, 3000);
  const { data: pipelines } = usePoll<{ items: Array<{ name: string }> }>('api/pipelines');
  const apply = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const next = new URLSearchParams();
    for (const k of ['status', 'pipeline', 'label']) if (f.get(k)) next.set(k, String(f.get(k)));
    navigate(`/runs?${next}`);
  };
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE)) : 1;
  return (
    <div class="runs">
      <form class="filters card" onSubmit={apply} aria-label="Filter runs">
        <div class="filter-fields open">
          <label>
            Status
            <select name="status" value={query.get('status') ?? ''}>
              <option value="">all</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </label>
          <label>
            Pipeline
            <select name="pipeline" value={query.get('pipeline') ?? ''}>
              <option value="">all</option>
              {pipelines?.items.map((p) => (
                <option key={p.name}>{p.name}</option>
              ))}
            </select>
          </label>
          <label>
            Label
            <input name="label" value={query.get('label') ?? ''} />
          </label>
          <button type="submit">Apply</button>
          <Link to="/runs/new" class="button primary">
            New run
          </Link>
        </div>
      </form>
      <ErrorLine error={error} />
      <p class="muted" aria-live="polite">
        {data ? count(data.total, 'run') : 'Loading…'}
      </p>
      {data?.total === 0 && (
        <Card>
          <p>No runs yet. A run takes a pipeline over photos or a clip and keeps what it found.</p>
          <Link to="/runs/new" class="button primary">
            Start the first run
          </Link>
        </Card>
      )}
      <ul class="run-list">
        {data?.items.map((r) => (
          <li key={r.run_id} data-run={r.run_id}>
            <Link to={`/runs/${r.run_id}`} class="run-row">
              <Badge state={r.status} />
              <span class="run-what">
                <b>{r.pipeline}</b> {r.label && <span class="muted">· {r.label}</span>}
                {r.parent_id && <span class="muted"> · resubmitted</span>}
              </span>
              <Progress counts={r.counts ?? {}} total={r.total} />
              <span class="run-count">
                {(r.counts?.succeeded ?? 0) + (r.counts?.failed ?? 0)}/{r.total}
              </span>
              <time>{when(r.created_at)}</time>
            </Link>
          </li>
        ))}
      </ul>
      <Pager path="/runs" page={page} pages={pages} />
    </div>
  );
}

export interface PipelineDag {
  name: string;
  stages: Array<{ name: string; type: string; needs: string[]; options: Record<string, unknown> }>;
}
export interface StageInfo {
  ref: string;
  options: JsonSchema;
}

/** Each stage of a pipeline with its options as fields; changes collected as overrides. */
export function StageOptions(p: {
  pipeline: PipelineDag;
  stages: StageInfo[];
  overrides: Record<string, unknown>;
  setOverrides: (o: Record<string, unknown>) => void;
}) {
  return (
    <div class="stage-options">
      {p.pipeline.stages.map((s) => {
        const info = p.stages.find((x) => x.ref === s.type);
        return (
          <fieldset key={s.name}>
            <legend>
              {s.name} <small class="muted">{s.type}</small>
            </legend>
            {info && (
              <SchemaFields
                stage={s.name}
                schema={info.options}
                current={s.options}
                overrides={p.overrides}
                onChange={(k, v) => {
                  const next = { ...p.overrides };
                  if (v === undefined || v === s.options[k.split('.')[1]!]) delete next[k];
                  else next[k] = v;
                  p.setOverrides(next);
                }}
              />
            )}
          </fieldset>
        );
      })}
    </div>
  );
}

export function NewRun() {
  const { query } = useRoute();
  // Photos chosen in Explore (`?images=id,id`): the run's inputs, beside any uploaded here.
  const chosen = (query.get('images') ?? '').split(',').filter(Boolean);
  // A clip by path only where the box allows some (runs.video_dirs).
  const { data: runsInfo } = usePoll<{ clips: boolean }>('api/runs?limit=1');
  const { data: pipelines } = usePoll<{ items: Array<{ name: string; valid: boolean }> }>('api/pipelines');
  const { data: stages } = usePoll<{ items: StageInfo[] }>('api/stages');
  const [name, setName] = useState('objects');
  const { data: dag, error: dagError } = usePoll<PipelineDag>(`api/pipelines/${name}`);
  const [overrides, setOverrides] = useState<Record<string, unknown>>({});
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const video = String(f.get('video') ?? '').trim();
    const spec = {
      pipeline: name,
      overrides,
      inputs: [...chosen.map((image_id) => ({ image_id })), ...(video ? [{ video }] : [])],
      priority: Number(f.get('priority') ?? 0),
      ...(f.get('label') ? { label: String(f.get('label')) } : {}),
      register_outputs: f.getAll('keep').map(String),
    };
    const body = new FormData();
    for (const file of files) body.append('files', file, file.name);
    body.append('spec', JSON.stringify(spec));
    setError(null);
    setProgress(0);
    const r = await uploadFile('api/runs', body, setProgress);
    setProgress(null);
    if (!r.ok) return setError(messageOf(r));
    navigate(`/runs/${(r.body as { run_id: string }).run_id}`);
  };
  return (
    <form class="new-run" onSubmit={submit} aria-label="New run">
      <Card title="New run">
        <div class="filter-fields open">
          <label>
            Pipeline
            <select
              name="pipeline"
              value={name}
              onChange={(e) => {
                setName(e.currentTarget.value);
                setOverrides({});
              }}
            >
              {pipelines?.items
                .filter((p) => p.valid)
                .map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name}
                  </option>
                ))}
            </select>
          </label>
          <label>
            Photos
            <input
              type="file"
              name="files"
              multiple
              accept="image/jpeg,image/png,image/webp"
              onChange={(e) => setFiles([...(e.currentTarget.files ?? [])])}
            />
          </label>
          {chosen.length > 0 && (
            <p class="chosen">
              {chosen.length} photo{chosen.length === 1 ? '' : 's'} from the library
            </p>
          )}
          {runsInfo?.clips && (
            <label>
              or a clip on the box
              <input name="video" placeholder="/srv/clips/dock.mp4" />
            </label>
          )}
          <label>
            Label
            <input name="label" placeholder="shelf audit" />
          </label>
          <label>
            Priority
            <input name="priority" type="number" min={-100} max={100} value={0} />
          </label>
        </div>
        <fieldset class="keep">
          <legend>Keep in the library</legend>
          <label>
            <input type="checkbox" name="keep" value="annotated" /> annotated images
          </label>
          <label>
            <input type="checkbox" name="keep" value="crops" /> detection crops
          </label>
        </fieldset>
      </Card>
      <Card title="Stage options" actions={<span class="muted">{Object.keys(overrides).length} changed</span>}>
        <ErrorLine error={dagError} />
        {dag && stages && (
          <StageOptions pipeline={dag} stages={stages.items} overrides={overrides} setOverrides={setOverrides} />
        )}
      </Card>
      <ErrorLine error={error} />
      <p class="actions">
        <button type="submit" class="primary" disabled={progress !== null}>
          {progress === null
            ? `Start run (${files.length + chosen.length} photo${files.length + chosen.length === 1 ? '' : 's'})`
            : `Uploading ${Math.round(progress * 100)}%`}
        </button>
      </p>
    </form>
  );
}
