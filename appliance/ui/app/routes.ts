/**
 * @module The dashboard's pages, by path. The server answers each with the app (so a deep link or a
 * reload works) and the client router draws the matching page. Shared by both sides; constants only.
 */
export const PAGES = [
  '/',
  '/login',
  '/live',
  '/live/:id',
  '/review',
  '/review/:id',
  '/events',
  '/events/:id',
  '/recordings/:id',
  '/explore',
  '/streams',
  '/streams/:id',
  '/runs',
  '/runs/new',
  '/runs/:id',
  '/analytics',
  '/analytics/sessions',
  '/analytics/sessions/new',
  '/analytics/sessions/:id',
  '/system',
  '/notifications',
  '/classifiers',
] as const;

export type Page = (typeof PAGES)[number];

/** The page a path shows and its parameters, or null. */
export function match(path: string): { page: Page; params: Record<string, string> } | null {
  const parts = path.replace(/\/+$/, '').split('/').filter(Boolean);
  for (const page of PAGES) {
    const want = page.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const same = want.every((w, i) => {
      if (!w.startsWith(':')) return w === parts[i];
      params[w.slice(1)] = decodeURIComponent(parts[i]!);
      return true;
    });
    if (same) return { page, params };
  }
  return null;
}
