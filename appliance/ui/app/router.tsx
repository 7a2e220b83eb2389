/**
 * @module A small client router on the History API, under the page's base path: `navigate` and
 * `<Link>` change the path without a reload; `useRoute` re-renders on every change.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { match } from './routes';

const basePath = () => new URL(document.baseURI).pathname.replace(/\/?$/, '/');

/** The app's path (without the base), starting with '/'. */
export const currentPath = () => `/${location.pathname.slice(basePath().length)}`;

const listeners = new Set<() => void>();
addEventListener('popstate', () => {
  for (const fn of listeners) fn();
});

export function navigate(path: string, replace = false): void {
  const to = basePath() + path.replace(/^\//, '');
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const fn of listeners) fn();
  scrollTo(0, 0);
}

export function useRoute() {
  const [, tick] = useState(0);
  useEffect(() => {
    const fn = () => tick((n) => n + 1);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  const path = currentPath();
  return {
    path,
    query: new URLSearchParams(location.search),
    ...(match(path.split('?')[0]!) ?? { page: null, params: {} }),
  };
}

export function Link(p: {
  to: string;
  class?: string;
  children: ComponentChildren;
  title?: string;
  'aria-label'?: string;
  'aria-current'?: 'page';
}) {
  return (
    <a
      href={basePath() + p.to.replace(/^\//, '')}
      class={p.class}
      title={p.title}
      aria-label={p['aria-label']}
      aria-current={p['aria-current']}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(p.to);
      }}
    >
      {p.children}
    </a>
  );
}
