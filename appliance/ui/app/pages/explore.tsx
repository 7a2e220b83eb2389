/**
 * @module Explore: the image library as a grid grouped by day (pages load as you scroll; off-screen
 * days are not laid out), drag-and-drop upload of many files with per-file progress and errors,
 * search by dropping a photo (scores and a threshold), tag filter, delete for operators.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { ApiImage, Card, ErrorLine } from '../components/ui';
import { useSession } from '../session';
import { messageOf, uploadFile } from '../upload';
import { type Hit, Hits } from './event';

interface ImageView {
  image_id: string;
  name: string | null;
  file_name: string | null;
  tags: string[];
  created_at: string;
  width: number;
  height: number;
}

interface Upload {
  name: string;
  progress: number;
  state: 'sending' | 'done' | 'failed';
  message?: string;
}

const PAGE = 100;

function useLibrary(tag: string, version: number) {
  const [items, setItems] = useState<ImageView[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loading = useRef(false);
  const load = async (page: number) => {
    if (loading.current) return;
    loading.current = true;
    try {
      const qs = new URLSearchParams({ page: String(page), limit: String(PAGE) });
      if (tag) qs.set('tag', tag);
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
  }, [tag, version]);
  const more = () => {
    if (total !== null && items.length < total) void load(Math.floor(items.length / PAGE) + 1);
  };
  return { items, total, error, more, remove: (id: string) => setItems((xs) => xs.filter((x) => x.image_id !== id)) };
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

const dayOf = (iso: string) =>
  new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });

export function Explore() {
  const { can } = useSession();
  const [tag, setTag] = useState('');
  const [version, setVersion] = useState(0);
  const lib = useLibrary(tag, version);
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
        const r = await uploadFile('api/images', form, (p) => set(i, { progress: p }));
        set(i, r.ok ? { state: 'done', progress: 1 } : { state: 'failed', message: messageOf(r) });
      }),
    );
    setVersion((v) => v + 1);
  };

  const search = async (file: File) => {
    setSearchError(null);
    const form = new FormData();
    form.append('file', file, file.name);
    form.append('limit', '24');
    const res = await api('api/search', { method: 'POST', body: form });
    const body = await res.json();
    if (!res.ok) return setSearchError(body?.error?.message ?? `HTTP ${res.status}`);
    setHits((body as { results: Hit[] }).results);
  };

  const remove = async (id: string) => {
    if (!confirm('Delete this image?')) return;
    const res = await api(`api/images/${id}`, { method: 'DELETE' });
    if (res.ok) lib.remove(id);
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
        <label>
          Tag
          <input value={tag} onChange={(e) => setTag((e.target as HTMLInputElement).value.trim())} placeholder="all" />
        </label>
      </div>
      <ErrorLine error={lib.error} />
      {[...groups].map(([day, ims]) => (
        <section key={day} class="day">
          <h3>{day}</h3>
          <ul class="tiles">
            {ims.map((im) => (
              <li key={im.image_id} class="tile" data-image={im.image_id}>
                <ApiImage path={`api/images/${im.image_id}/thumbnail`} alt={im.name ?? im.file_name ?? ''} />
                <span class="tile-name">{im.name ?? im.file_name}</span>
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
