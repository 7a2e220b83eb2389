/**
 * @module Explore: the image library as a grid grouped by day (pages load as you scroll; off-screen
 * days are not laid out), drag-and-drop upload of many files with per-file progress and errors
 * (private if asked) and the quota they count against, search by dropping a photo (scores and a
 * threshold), filters (tag, text read in the photos, mine, private, event snapshots, sorted by taken or added), a photo's
 * pane to edit it in place with its EXIF, step through the list and find similar photos (opened
 * from a search result as /explore?photo=<id>), a selection to tag or make private at once,
 * delete for operators.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, sendJson } from '../api';
import { ApiImage, Card, ErrorLine } from '../components/ui';
import { type LibraryImage, PhotoPane } from '../components/photo-pane';
import { useSession } from '../session';
import { Link, navigate, useRoute } from '../router';
import { LabelAs } from '../components/label-as';
import { messageOf, uploadFile } from '../upload';
import { type Hit, Hits } from './event';

type ImageView = LibraryImage;

interface Filters {
  tag: string;
  /** Text read in the photos (a run with ocr@1 over them) containing this. */
  text: string;
  mine: boolean;
  privateOnly: boolean;
  /** Event snapshots with the photos (the library leaves them out by default). */
  snapshots: boolean;
  sort: 'uploaded' | 'taken';
}

interface Upload {
  name: string;
  progress: number;
  state: 'sending' | 'done' | 'failed';
  message?: string;
}

const PAGE = 100;

function useLibrary(f: Filters, version: number) {
  const [items, setItems] = useState<ImageView[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loading = useRef(false);
  const load = async (page: number) => {
    if (loading.current) return;
    loading.current = true;
    try {
      const qs = new URLSearchParams({ page: String(page), limit: String(PAGE), sort: f.sort });
      if (f.tag) qs.set('tag', f.tag);
      if (f.text) qs.set('text', f.text);
      if (f.mine) qs.set('owner', 'mine');
      if (f.privateOnly) qs.set('private', 'true');
      if (f.snapshots) qs.set('snapshots', 'include');
      const res = await api(`api/images?${qs}`);
      if (!res.ok) throw new Error(`the library did not load (HTTP ${res.status})`);
      const r = (await res.json()) as { items: ImageView[]; total: number };
      setItems((xs) => (page === 1 ? r.items : [...xs, ...r.items]));
      setTotal(r.total);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      loading.current = false;
    }
  };
  useEffect(() => {
    void load(1);
  }, [f.tag, f.text, f.mine, f.privateOnly, f.snapshots, f.sort, version]);
  const more = () => {
    if (total !== null && items.length < total) void load(Math.floor(items.length / PAGE) + 1);
  };
  return {
    items,
    total,
    error,
    more,
    remove: (id: string) => setItems((xs) => xs.filter((x) => x.image_id !== id)),
    replace: (im: ImageView) => setItems((xs) => xs.map((x) => (x.image_id === im.image_id ? im : x))),
  };
}

/** A drop target that is also a file picker (keyboard and touch). */
function DropZone(p: {
  label: string;
  multiple?: boolean;
  onFiles: (files: File[]) => void;
  children: ComponentChildren;
}) {
  const files = (e: DragEvent | Event) =>
    [...((e as DragEvent).dataTransfer?.files ?? (e.target as HTMLInputElement).files ?? [])] as File[];
  return (
    <label
      class="drop"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        p.onFiles(files(e));
      }}
    >
      {p.children}
      <input
        type="file"
        multiple={p.multiple}
        accept="image/jpeg,image/png,image/webp"
        onChange={(e) => p.onFiles(files(e))}
        aria-label={p.label}
      />
    </label>
  );
}

const mb = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`);

/** What the signed-in user's library stores against their quota. */
function QuotaBar(p: { used: number; quota: number | null }) {
  if (p.quota === null) return <p class="muted quota">{mb(p.used)} stored · no quota</p>;
  const share = Math.min(1, p.used / Math.max(1, p.quota));
  return (
    <div class={`quota ${share >= 0.9 ? 'warn' : ''}`}>
      <progress max={1} value={share} aria-label="Storage used of your quota" />
      <span>
        {mb(p.used)} of {mb(p.quota)}
      </span>
    </div>
  );
}

const dayOf = (iso: string) =>
  new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });

export function Explore() {
  const { can, me } = useSession();
  const [filters, setFilters] = useState<Filters>({
    tag: '',
    text: '',
    mine: false,
    privateOnly: false,
    snapshots: false,
    sort: 'uploaded',
  });
  const route = useRoute();
  const [version, setVersion] = useState(0);
  const lib = useLibrary(filters, version);
  const [library, setLibrary] = useState(me.library ?? null);
  const [asPrivate, setAsPrivate] = useState(false);
  const [open, setOpen] = useState<ImageView | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkError, setBulkError] = useState<string | null>(null);
  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));
  const refreshQuota = async () => {
    const r = await api('api/auth/me');
    if (r.ok) setLibrary(((await r.json()) as { library: typeof library }).library);
  };
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [threshold, setThreshold] = useState(0.5);
  const [searchError, setSearchError] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const io = new IntersectionObserver((es) => {
      if (es.some((e) => e.isIntersecting)) lib.more();
    });
    io.observe(el);
    return () => io.disconnect();
  });

  const upload = async (files: File[]) => {
    const start = uploads.length;
    setUploads((u) => [...u, ...files.map((f) => ({ name: f.name, progress: 0, state: 'sending' as const }))]);
    const set = (i: number, patch: Partial<Upload>) =>
      setUploads((u) => u.map((x, j) => (j === start + i ? { ...x, ...patch } : x)));
    await Promise.all(
      files.map(async (f, i) => {
        const form = new FormData();
        form.append('file', f, f.name);
        form.append('name', f.name.replace(/\.[^.]+$/, ''));
        if (asPrivate) form.append('private', 'true');
        const r = await uploadFile('api/images', form, (p) => set(i, { progress: p }));
        set(i, r.ok ? { state: 'done', progress: 1 } : { state: 'failed', message: messageOf(r) });
      }),
    );
    setVersion((v) => v + 1);
    void refreshQuota();
  };

  const [labelled, setLabelled] = useState<string | null>(null);

  /** Tag, or make private or shared, every selected photo at once. */
  const bulk = async (change: Record<string, unknown>) => {
    try {
      await sendJson('api/images', 'PATCH', { ids: [...selected], ...change });
      setBulkError(null);
      setSelected(new Set());
      setVersion((v) => v + 1);
    } catch (e) {
      setBulkError((e as Error).message);
    }
  };
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const search = async (by: File | string) => {
    setSearchError(null);
    const form = new FormData();
    if (typeof by === 'string') form.append('image_id', by);
    else form.append('file', by, by.name);
    form.append('limit', '24');
    if (filters.snapshots) form.append('snapshots', 'include');
    const res = await api('api/search', { method: 'POST', body: form });
    const body = await res.json();
    if (!res.ok) return setSearchError(body?.error?.message ?? `HTTP ${res.status}`);
    setHits((body as { results: Hit[] }).results);
  };

  // A photo named in the address (a search result opened): its pane, whether listed or not.
  const asked = route.query.get('photo');
  useEffect(() => {
    if (!asked || open?.image_id === asked) return;
    void api(`api/images/${encodeURIComponent(asked)}`).then(async (r) => {
      if (r.ok) setOpen((await r.json()) as ImageView);
      else setSearchError(`photo ${asked} could not be opened (HTTP ${r.status})`);
    });
  }, [asked]);
  const step = (by: -1 | 1) => {
    const i = lib.items.findIndex((x) => x.image_id === open?.image_id);
    const next = i < 0 ? undefined : lib.items[i + by];
    if (next) setOpen(next);
  };

  const remove = async (id: string) => {
    if (!confirm('Delete this image?')) return;
    const res = await api(`api/images/${id}`, { method: 'DELETE' });
    if (res.ok) {
      lib.remove(id);
      if (open?.image_id === id) setOpen(null);
      void refreshQuota();
    }
  };

  const groups = new Map<string, ImageView[]>();
  for (const im of lib.items) {
    const d = dayOf(im.created_at);
    groups.set(d, [...(groups.get(d) ?? []), im]);
  }
  return (
    <div class="explore">
      <div class="explore-tools">
        {can('images:write') && (
          <Card title="Upload" class="drop-card">
            <DropZone label="Photos to upload" multiple onFiles={(fs) => void upload(fs)}>
              Drop photos here, or choose
            </DropZone>
            <label class="check">
              <input type="checkbox" checked={asPrivate} onChange={() => setAsPrivate((v) => !v)} />
              Upload as private (only you and admins see them)
            </label>
            {library && <QuotaBar used={library.used_bytes} quota={library.quota_bytes} />}
            <ul class="uploads" aria-live="polite">
              {uploads.map((u, i) => (
                <li key={`${u.name}-${i}`} data-state={u.state}>
                  <span>{u.name}</span>
                  <progress max={1} value={u.progress} />
                  {u.state === 'failed' && <span class="error">{u.message}</span>}
                  {u.state === 'done' && <span class="ok">added</span>}
                </li>
              ))}
            </ul>
          </Card>
        )}
        <Card title="Search by photo" class="drop-card">
          <DropZone label="Photo to search by" onFiles={(fs) => fs[0] && void search(fs[0])}>
            Drop a photo to find similar ones
          </DropZone>
          <label class="threshold">
            Threshold {threshold.toFixed(2)}
            <input
              type="range"
              min={0}
              max={1}
              step={0.01}
              value={threshold}
              onInput={(e) => setThreshold(Number((e.target as HTMLInputElement).value))}
            />
          </label>
          <ErrorLine error={searchError} />
        </Card>
      </div>
      {hits && (
        <Card
          title="Results"
          actions={
            <button type="button" class="ghost" onClick={() => setHits(null)}>
              Close
            </button>
          }
        >
          <Hits hits={hits.filter((h) => h.similarity_score >= threshold)} />
          {hits.every((h) => h.similarity_score < threshold) && <p class="muted">Nothing above the threshold.</p>}
        </Card>
      )}
      <div class="library-head">
        <h2>Library {lib.total !== null && <small>({lib.total})</small>}</h2>
        <Link to="/classifiers">Classifiers</Link>
        <label>
          Tag
          <input
            value={filters.tag}
            onChange={(e) => set({ tag: (e.target as HTMLInputElement).value.trim() })}
            placeholder="all"
          />
        </label>
        <label title="Text read in the photos by a run with ocr@1">
          Text
          <input
            name="text"
            value={filters.text}
            maxLength={200}
            onChange={(e) => set({ text: (e.target as HTMLInputElement).value.trim() })}
            placeholder="any"
          />
        </label>
        {me.user_id && (
          <label class="check">
            <input type="checkbox" checked={filters.mine} onChange={() => set({ mine: !filters.mine })} />
            Mine
          </label>
        )}
        <label class="check">
          <input
            type="checkbox"
            checked={filters.privateOnly}
            onChange={() => set({ privateOnly: !filters.privateOnly })}
          />
          Private only
        </label>
        <label class="check">
          <input type="checkbox" checked={filters.snapshots} onChange={() => set({ snapshots: !filters.snapshots })} />
          Event snapshots
        </label>
        <label>
          Sort
          <select
            value={filters.sort}
            onChange={(e) => set({ sort: (e.target as HTMLSelectElement).value as Filters['sort'] })}
          >
            <option value="uploaded">newest added</option>
            <option value="taken">newest taken</option>
          </select>
        </label>
      </div>
      {selected.size > 0 && (
        <form
          class="bulk"
          aria-label="Change the selected photos"
          onSubmit={(e) => {
            e.preventDefault();
            const t = String(new FormData(e.target as HTMLFormElement).get('tag') ?? '').trim();
            if (t) void bulk({ add_tags: [t] });
          }}
        >
          <strong>{selected.size} selected</strong>
          <input name="tag" placeholder="tag" aria-label="Tag to add" />
          <button type="submit">Add tag</button>
          <button type="button" class="ghost" onClick={() => void bulk({ private: true })}>
            Make private
          </button>
          <button type="button" class="ghost" onClick={() => void bulk({ private: false })}>
            Make shared
          </button>
          {can('runs:write') && (
            <button
              type="button"
              class="ghost"
              onClick={() => navigate(`/runs/new?images=${encodeURIComponent([...selected].join(','))}`)}
            >
              New run…
            </button>
          )}
          <LabelAs
            fits={() => true}
            items={() => [...selected].map((image_id) => ({ image_id }))}
            onDone={(said) => {
              setLabelled(said);
              setSelected(new Set());
            }}
          />
          <button type="button" class="ghost" onClick={() => setSelected(new Set())}>
            Clear
          </button>
          <ErrorLine error={bulkError} />
        </form>
      )}
      {labelled && (
        <p class="ok" role="status">
          {labelled}
        </p>
      )}
      {open && (
        <PhotoPane
          image={open}
          mine={!!me.user_id && open.owner === me.user_id}
          canEdit={can('images:write')}
          onSaved={(im) => {
            lib.replace(im);
            setOpen(im);
          }}
          onClose={() => {
            setOpen(null);
            if (asked) navigate('/explore', true);
          }}
          onStep={lib.items.some((x) => x.image_id === open.image_id) ? step : undefined}
          onSimilar={() => void search(open.image_id)}
        />
      )}
      <ErrorLine error={lib.error} />
      {[...groups].map(([day, ims]) => (
        <section key={day} class="day">
          <h3>{day}</h3>
          <ul class="tiles">
            {ims.map((im) => (
              <li
                key={im.image_id}
                class={`tile ${selected.has(im.image_id) ? 'selected' : ''}`}
                data-image={im.image_id}
                data-private={im.private ? 'true' : undefined}
              >
                <button
                  type="button"
                  class="tile-open"
                  onClick={() => setOpen(im)}
                  aria-label={`Open ${im.name ?? im.file_name ?? 'photo'}`}
                >
                  <ApiImage path={`api/images/${im.image_id}/thumbnail`} alt={im.name ?? im.file_name ?? ''} />
                </button>
                <span class="tile-name">
                  {im.private && <span class="badge mute lock">private</span>}
                  {im.name ?? im.file_name}
                </span>
                {can('images:write') && (
                  <input
                    type="checkbox"
                    class="tile-select"
                    checked={selected.has(im.image_id)}
                    onChange={() => toggle(im.image_id)}
                    aria-label={`Select ${im.name ?? 'photo'}`}
                  />
                )}
                {can('images:write') && (
                  <button
                    type="button"
                    class="tile-delete"
                    aria-label={`Delete ${im.name ?? 'image'}`}
                    onClick={() => void remove(im.image_id)}
                  >
                    ×
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      ))}
      <div ref={sentinel} class="sentinel" />
    </div>
  );
}
