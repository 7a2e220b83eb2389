/** @module The frame of every page: the navigation, who is signed in, light or dark. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { href, logout } from '../api';
import { Link, useRoute } from '../router';
import { useSession } from '../session';

const NAV = [
  ['/live', 'Live'],
  ['/review', 'Review'],
  ['/explore', 'Explore'],
  ['/streams', 'Streams'],
  ['/runs', 'Runs'],
  ['/analytics', 'Analytics'],
  ['/system', 'System'],
] as const;

type Theme = 'light' | 'dark';
const systemTheme = (): Theme => (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');

export function Layout(p: { children: ComponentChildren }) {
  const { path } = useRoute();
  const { me, authRequired, anonymous } = useSession();
  const [theme, setTheme] = useState<Theme>(
    () => (localStorage.getItem('fovea.theme') as Theme | null) ?? systemTheme(),
  );
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const toggle = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem('fovea.theme', next);
    setTheme(next);
  };
  return (
    <div class="shell">
      {/* A #main link would follow <base href> to another page: a button that focuses the content. */}
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <Link to="/live" class="brand">
          <span class="logo" aria-hidden="true" />
          fovea
        </Link>
        <nav aria-label="Main">
          {NAV.filter(([to]) => !anonymous || to === '/analytics').map(([to, label]) => (
            <Link key={to} to={to} aria-current={path.startsWith(to) ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <div class="who">
          <button
            type="button"
            class="ghost"
            onClick={toggle}
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          >
            {theme === 'dark' ? '☀' : '☾'}
          </button>
          {anonymous && (
            <a class="button ghost" href={href('login')}>
              Sign in
            </a>
          )}
          {!anonymous && (
            <Link
              to="/notifications"
              class="button ghost bell"
              aria-label="Notifications"
              title="Notifications"
              aria-current={path.startsWith('/notifications') ? 'page' : undefined}
            >
              <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                <path
                  d="M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15zM10 20a2 2 0 0 0 4 0"
                  fill="none"
                  stroke="currentColor"
                  stroke-width="1.8"
                  stroke-linejoin="round"
                />
              </svg>
            </Link>
          )}
          {authRequired && !anonymous && (
            <>
              <span class="me" title={me.kind ?? ''}>
                {me.subject} <small>{me.role}</small>
              </span>
              <button type="button" class="ghost" onClick={() => void logout()}>
                Sign out
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {p.children}
      </main>
    </div>
  );
}
