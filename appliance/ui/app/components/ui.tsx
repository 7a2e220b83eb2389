/** @module Small shared pieces: state badges, figures, error lines, authorised images, time. */
import type { ComponentChildren } from 'preact';
import { useImage } from '../hooks';
import { navigate } from '../router';

const STATE_TONE: Record<string, string> = {
  ok: 'ok',
  applied: 'ok',
  degraded: 'bad',
  running: 'ok',
  idle: 'ok',
  uploading: 'ok',
  connecting: 'warn',
  backoff: 'warn',
  pulling: 'warn',
  model_missing: 'warn',
  offline: 'warn',
  unauthorized: 'bad',
  failed: 'bad',
  no_bucket: 'bad',
  stopped: 'mute',
  rejected: 'bad',
  rolled_back: 'bad',
  succeeded: 'ok',
  queued: 'mute',
  pending: 'mute',
  retrying: 'warn',
  partially_failed: 'warn',
  canceled: 'mute',
  interrupted: 'warn',
  skipped: 'mute',
  recording: 'ok',
  disk_full: 'bad',
  ended: 'mute',
  detection_off: 'warn',
};

export function Badge(p: { state: string; title?: string }) {
  return (
    <span class={`badge ${STATE_TONE[p.state] ?? 'mute'}`} title={p.title} data-state={p.state}>
      {p.state.replace(/_/g, ' ')}
    </span>
  );
}

export function Figure(p: { label: string; value: ComponentChildren }) {
  return (
    <div class="figure">
      <span class="figure-value">{p.value}</span>
      <span class="figure-label">{p.label}</span>
    </div>
  );
}

export function ErrorLine(p: { error: Error | string | null }) {
  if (!p.error) return null;
  return (
    <p class="error" role="alert">
      {typeof p.error === 'string' ? p.error : p.error.message}
    </p>
  );
}

/** An image the API serves, fetched with the credential. */
export function ApiImage(p: { path: string | null; alt: string; class?: string }) {
  const url = useImage(p.path);
  return url ? (
    <img src={url} alt={p.alt} class={p.class} loading="lazy" />
  ) : (
    <div class={`img-placeholder ${p.class ?? ''}`} />
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export function Card(p: {
  title?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
  actions?: ComponentChildren;
}) {
  return (
    <section class={`card ${p.class ?? ''}`}>
      {(p.title || p.actions) && (
        <header class="card-head">
          <h2>{p.title}</h2>
          {p.actions}
        </header>
      )}
      {p.children}
    </section>
  );
}

/** Newer / older pages of a list whose page is in the URL (`?page=`), the other filters kept. */
export function Pager(p: { path: string; page: number; pages: number }) {
  const go = (n: number) => {
    const next = new URLSearchParams(location.search);
    next.set('page', String(n));
    navigate(`${p.path}?${next}`);
  };
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={p.page <= 1} onClick={() => go(p.page - 1)}>
        ← Newer
      </button>
      <span>
        page {p.page} of {p.pages}
      </span>
      <button type="button" disabled={p.page >= p.pages} onClick={() => go(p.page + 1)}>
        Older →
      </button>
    </nav>
  );
}

/** "1 run", "2 runs": a count with its noun in the right number. */
export const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;
