/**
 * @module This browser's side of web push: whether it can take pushes at all (and if not, why, in
 * words a person can act on), its service worker, and its push subscription, turned on and off
 * together with the box's record of it. The box's id for this browser is kept per user in
 * localStorage, so the page can tell "this browser" among the user's others.
 */
import { href, sendJson, api } from './api';

export interface BoxSubscription {
  id: string;
  service: string;
  agent: string | null;
  prefs: Prefs;
  created: string;
  sent: number;
  last_ok: string | null;
  failures: number;
  last_error: string | null;
}

export interface Prefs {
  streams: string[];
  labels: string[];
  zones: string[];
  severities: Array<'alert' | 'detection'>;
  cooldown_s: number;
  quiet: { from: string; to: string } | null;
  snoozed_until: number | null;
}

/** Why this browser cannot take pushes, or null when it can. */
export function unsupported(): string | null {
  if (!window.isSecureContext)
    return 'Notifications need the dashboard over https (or on localhost): browsers offer push only to secure pages.';
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window))
    return 'This browser cannot take push notifications. On an iPhone or iPad, add the dashboard to the Home Screen first.';
  return null;
}

const keyOf = (user: string) => `fovea.push.${user}`;

/** The box's id of this browser's subscription for `user`, if it made one. */
export const thisBrowser = (user: string) => localStorage.getItem(keyOf(user));

/** The applicationServerKey from the box's base64url public key. */
function keyBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** The dashboard's service worker, registered at the base (its scope is the whole dashboard). */
export async function worker(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register(href('sw.js'), { scope: href('') });
  return navigator.serviceWorker.ready;
}

/**
 * Turn pushes on here: permission, the worker, a subscription with the box's key, and its record on
 * the box. Each step's failure says what to do.
 */
export async function turnOn(user: string, publicKey: string): Promise<BoxSubscription> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted')
    throw new Error(
      permission === 'denied'
        ? "Notifications are blocked for this site: allow them in the browser's site settings, then try again."
        : 'Notifications were not allowed.',
    );
  const reg = await worker();
  const key = keyBytes(publicKey);
  let sub = await reg.pushManager.getSubscription();
  // A subscription made with another key (a box that made new keys) cannot receive this box's pushes.
  const same = (a: ArrayBuffer | null) =>
    !!a && new Uint8Array(a).every((b, i) => b === key[i]) && a.byteLength === key.length;
  if (sub && !same(sub.options.applicationServerKey)) {
    await sub.unsubscribe();
    sub = null;
  }
  try {
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  } catch (e) {
    throw new Error(
      `This browser's push service did not give a subscription: ${(e as Error).message}. A browser subscribes through its maker's push service (Google's for Chrome and Edge, Mozilla's for Firefox, Apple's for Safari), which it must be able to reach.`,
    );
  }
  const made = await sendJson<BoxSubscription>('api/notify/subscriptions', 'POST', sub.toJSON());
  const before = thisBrowser(user);
  // The box keeps one row per endpoint; an older row of this browser goes.
  if (before && before !== made.id)
    await api(`api/notify/subscriptions/${before}`, { method: 'DELETE' }).catch(() => undefined);
  localStorage.setItem(keyOf(user), made.id);
  return made;
}

/** Turn pushes off here: the box forgets this browser, and the browser drops its subscription. */
export async function turnOff(user: string): Promise<void> {
  const id = thisBrowser(user);
  if (id) {
    const r = await api(`api/notify/subscriptions/${id}`, { method: 'DELETE' });
    if (!r.ok && r.status !== 404) throw new Error(`the box did not forget this browser (${r.status})`);
  }
  localStorage.removeItem(keyOf(user));
  const reg = await navigator.serviceWorker.getRegistration(href(''));
  await (await reg?.pushManager.getSubscription())?.unsubscribe();
}
