/**
 * @module What the service worker shows for a push: the box's payload (notify/payload.ts) read
 * defensively, since a push is only bytes. Its links are resolved against the worker's scope (the
 * dashboard's base) and must stay on the box's origin: a notification opens the dashboard, nowhere
 * else. Pure, so it is unit-tested outside a browser.
 */

export interface Shown {
  title: string;
  options: {
    body: string;
    tag?: string;
    image?: string;
    icon?: string;
    /** The page a click opens, absolute. */
    data: { url: string };
  };
}

const text = (v: unknown, max: number): string | null =>
  typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : null;

/** `href` resolved against `scope`, if it stays on the scope's origin; else null. */
function here(href: unknown, scope: string): string | null {
  if (typeof href !== 'string' || !href) return null;
  try {
    const u = new URL(href, scope);
    return u.origin === new URL(scope).origin ? u.href : null;
  } catch {
    return null;
  }
}

/** The notification for a push's text (null: a push without data), under the worker's `scope`. */
export function notificationOf(data: string | null, scope: string): Shown {
  let p: Record<string, unknown> = {};
  try {
    const v: unknown = data ? JSON.parse(data) : null;
    if (v && typeof v === 'object' && !Array.isArray(v)) p = v as Record<string, unknown>;
  } catch {
    // Not the box's JSON: the text itself is the message.
    p = { body: data };
  }
  const image = here(p.image, scope);
  return {
    title: text(p.title, 200) ?? 'fovea',
    options: {
      body: text(p.body, 500) ?? '',
      ...(text(p.tag, 100) && { tag: text(p.tag, 100)! }),
      ...(image && { image, icon: image }),
      data: { url: here(p.url, scope) ?? scope },
    },
  };
}
