/**
 * @module "Label as…": pick one class of a classifier trained on the box and label what the page
 * shows as it: a selection of photos (Explore), an event's object, a review item's objects, or a
 * state classifier's region of the live frame. Shown to those who may change classifiers, once one
 * fits.
 */
import { useState } from 'preact/hooks';
import { sendJson } from '../api';
import { usePoll } from '../hooks';
import { useSession } from '../session';
import { ErrorLine } from './ui';

export interface ClassifierView {
  name: string;
  kind: 'object' | 'state';
  classes: string[];
  label: string | null;
  stream: string | null;
  embedding_model: string;
  examples: Record<string, number>;
  trained: { evaluation: Evaluation; trained_at: string; onnx_sha256: string } | null;
}

export interface Evaluation {
  folds: number;
  accuracy: number;
  classes: Array<{ name: string; examples: number; precision: number | null; recall: number }>;
  confusion: number[][];
}

/** What an example item of the API is: a picture (or a box of it), an event, a review item, the live frame. */
export type ExampleItem =
  | { image_id: string; box?: number[] }
  | { event_id: string }
  | { review_id: string }
  | { frame: 'latest' };

export function LabelAs(p: {
  /** The items to label, read when the button is pressed (null: nothing to label now). */
  items: () => ExampleItem[] | null;
  /** Which classifiers fit what is labelled. */
  fits: (c: ClassifierView) => boolean;
  /** What the button says. */
  action?: string;
  /** Told what was labelled (the component also says it, while it is shown). */
  onDone?: (said: string) => void;
}) {
  const { can } = useSession();
  const { data } = usePoll<{ items: ClassifierView[] }>(can('images:write') ? 'api/classifiers' : null);
  const [choice, setChoice] = useState('');
  const [said, setSaid] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fitting = (data?.items ?? []).filter(p.fits);
  if (!fitting.length) return null;
  const label = async () => {
    const at = choice.indexOf('/');
    const [name, cls] = [choice.slice(0, at), choice.slice(at + 1)];
    const items = p.items();
    if (!items?.length) return;
    try {
      const r = await sendJson<{ labelled: number }>(`api/classifiers/${encodeURIComponent(name)}/examples`, 'POST', {
        class: cls,
        items,
      });
      const message = `Labelled ${r.labelled} as ${name}: ${cls}.`;
      setError(null);
      setSaid(message);
      p.onDone?.(message);
    } catch (e) {
      setSaid(null);
      setError((e as Error).message);
    }
  };
  return (
    <div class="label-as">
      <select aria-label="Label as" value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
        <option value="">Label as…</option>
        {fitting.map((c) =>
          c.classes.map((k) => (
            <option key={`${c.name}/${k}`} value={`${c.name}/${k}`}>
              {c.name}: {k}
            </option>
          )),
        )}
      </select>
      <button type="button" class="ghost" disabled={!choice} onClick={() => void label()}>
        {p.action ?? 'Label'}
      </button>
      {said && (
        <span class="ok" role="status">
          {said}
        </span>
      )}
      <ErrorLine error={error} />
    </div>
  );
}
