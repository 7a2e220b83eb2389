/**
 * @module Classifiers trained on the box: each one's classes and examples per class, a k-fold
 * evaluation (accuracy, precision and recall per class, the confusion matrix) before saving, and the
 * head saved last; a form to make one. Examples are labelled in Explore (a selection, "Label as").
 */
import { useState } from 'preact/hooks';
import { api, sendJson } from '../api';
import { ApiImage, Card, ErrorLine, Figure, when } from '../components/ui';
import { usePoll } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import type { ClassifierView, Evaluation } from '../components/label-as';

export type { ClassifierView };

const pct = (v: number | null) => (v === null ? '–' : `${Math.round(v * 100)} %`);

export function Classifiers() {
  const { data, error, reload } = usePoll<{ items: ClassifierView[] }>('api/classifiers');
  const { can } = useSession();
  return (
    <div class="classifiers">
      <Card title="Classifiers">
        <p class="muted">
          Teach the box classes its detector does not know, from a few examples: select photos in{' '}
          <Link to="/explore">Explore</Link> and use <em>Label as</em>. Evaluate before you save.
        </p>
        <ErrorLine error={error} />
        {data?.items.length === 0 && <p class="muted">No classifier yet.</p>}
      </Card>
      {data?.items.map((c) => (
        <ClassifierCard key={c.name} c={c} canWrite={can('images:write')} reload={reload} />
      ))}
      {can('images:write') && <NewClassifier onMade={reload} />}
    </div>
  );
}

function ClassifierCard(p: { c: ClassifierView; canWrite: boolean; reload: () => void }) {
  const { c } = p;
  const [evaluation, setEvaluation] = useState<(Evaluation & { ms: number }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const shown = evaluation ?? c.trained?.evaluation ?? null;
  return (
    <Card
      class="classifier"
      title={
        <>
          {c.name}{' '}
          <small class="muted">{c.kind === 'object' ? `sub-labels of ${c.label}` : `state of ${c.stream}`}</small>
        </>
      }
    >
      <div class="figures">
        {c.classes.map((k) => (
          <Figure key={k} label={`${k} examples`} value={c.examples[k] ?? 0} />
        ))}
      </div>
      {p.canWrite && (
        <div class="actions">
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void act(async () => setEvaluation(await sendJson(`api/classifiers/${c.name}/evaluate`, 'POST', {})))
            }
          >
            Evaluate
          </button>
          <button
            type="button"
            class="primary"
            disabled={busy || !evaluation}
            title={evaluation ? undefined : 'Evaluate first'}
            onClick={() =>
              void act(async () => {
                await sendJson(`api/classifiers/${c.name}/save`, 'POST', {});
                setEvaluation(null);
                p.reload();
              })
            }
          >
            Save
          </button>
        </div>
      )}
      <ErrorLine error={error} />
      {shown && (
        <div class="evaluation" data-accuracy={shown.accuracy}>
          <p>
            {evaluation ? 'Evaluated now' : `Saved ${when(c.trained?.trained_at)}`}: accuracy{' '}
            <strong>{pct(shown.accuracy)}</strong> over {shown.folds} folds
            {evaluation && ` (${evaluation.ms} ms)`}.
          </p>
          <table class="confusion">
            <caption>Held-out examples: rows are the class, columns what the head said</caption>
            <thead>
              <tr>
                <th />
                {c.classes.map((k) => (
                  <th key={k}>{k}</th>
                ))}
                <th>precision</th>
                <th>recall</th>
              </tr>
            </thead>
            <tbody>
              {shown.classes.map((k, i) => (
                <tr key={k.name}>
                  <th>{k.name}</th>
                  {shown.confusion[i]!.map((n, j) => (
                    <td key={c.classes[j]} class={i === j ? 'hit' : n ? 'miss' : ''}>
                      {n}
                    </td>
                  ))}
                  <td>{pct(k.precision)}</td>
                  <td>{pct(k.recall)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Inbox c={c} canWrite={p.canWrite} onLabelled={p.reload} />
      <p class="muted">
        embedding model {c.embedding_model}
        {c.trained && ` · head ${c.trained.onnx_sha256.slice(0, 12)}…`}
      </p>
    </Card>
  );
}

interface InboxItem {
  id: string;
  image_id: string;
  reason: string;
  guess: string | null;
  score: number | null;
  stream: string;
}

/** The crops the classifier (or the detector) was unsure of: label each, or dismiss it. */
function Inbox(p: { c: ClassifierView; canWrite: boolean; onLabelled: () => void }) {
  const { data, reload } = usePoll<{ items: InboxItem[] }>(`api/classifiers/${p.c.name}/inbox`, 10_000);
  const [error, setError] = useState<string | null>(null);
  if (!data?.items.length) return null;
  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setError(null);
      reload();
      p.onLabelled();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div class="inbox">
      <h3>To label ({data.items.length})</h3>
      <ul>
        {data.items.slice(0, 12).map((it) => (
          <li key={it.id} data-inbox={it.id}>
            <ApiImage
              path={`api/images/${it.image_id}/thumbnail`}
              alt={`${it.stream}: ${it.guess ?? 'unsure'}`}
              class="thumb"
            />
            <span class="muted">
              {it.reason === 'unsure' ? `unsure: ${it.guess} ${pct(it.score)}` : 'the detector was unsure'}
            </span>
            {p.canWrite && (
              <span class="row-actions">
                {p.c.classes.map((k) => (
                  <button
                    key={k}
                    type="button"
                    onClick={() =>
                      void act(() => sendJson(`api/classifiers/${p.c.name}/inbox/${it.id}`, 'POST', { class: k }))
                    }
                  >
                    {k}
                  </button>
                ))}
                <button
                  type="button"
                  class="ghost"
                  onClick={() =>
                    void act(() => api(`api/classifiers/${p.c.name}/inbox/${it.id}`, { method: 'DELETE' }))
                  }
                >
                  Dismiss
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
      <ErrorLine error={error} />
    </div>
  );
}

function NewClassifier(p: { onMade: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [kind, setKind] = useState<'object' | 'state'>('object');
  const make = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const f = new FormData(form);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    const classes = [
      ...new Set(
        text('classes')
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ];
    const region = text('region')
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    try {
      await sendJson('api/classifiers', 'POST', {
        name: text('name'),
        kind,
        classes,
        ...(kind === 'object' ? { label: text('label') } : { stream: text('stream'), region }),
      });
      setError(null);
      form.reset();
      p.onMade();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <Card title="New classifier">
      <form class="session-form" onSubmit={(e) => void make(e)}>
        <div class="row">
          <label>
            Name
            <input name="name" required maxLength={64} pattern="[a-z0-9][a-z0-9_\-]*" placeholder="visitors" />
          </label>
          <label>
            Kind
            <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as 'object' | 'state')}>
              <option value="object">object: a sub-label of a detected class</option>
              <option value="state">state: a region of a stream</option>
            </select>
          </label>
        </div>
        <label>
          Classes (comma-separated, 2 to 20)
          <input name="classes" required placeholder="delivery, resident, other" />
        </label>
        {kind === 'object' ? (
          <label>
            Detected class it sub-labels
            <input name="label" required placeholder="person" />
          </label>
        ) : (
          <div class="row">
            <label>
              Stream
              <input name="stream" required />
            </label>
            <label>
              Region x1, y1, x2, y2 (0–1)
              <input name="region" required placeholder="0.1, 0.2, 0.4, 0.6" />
            </label>
          </div>
        )}
        <div class="actions">
          <button type="submit" class="primary">
            Make classifier
          </button>
        </div>
        <ErrorLine error={error} />
      </form>
    </Card>
  );
}
