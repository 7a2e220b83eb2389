/**
 * @module The dashboard's service worker: it shows the box's pushes as notifications (even with no
 * dashboard tab open) and opens the item when one is clicked, in a dashboard tab if there is one.
 * Served at the base (`sw.js`), so its scope is the whole dashboard.
 */
import { notificationOf } from './notification';

declare const self: ServiceWorkerGlobalScope;

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('push', (e) => {
  const n = notificationOf(e.data?.text() ?? null, self.registration.scope);
  e.waitUntil(self.registration.showNotification(n.title, n.options));
});

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const url = (e.notification.data as { url?: string } | null)?.url ?? self.registration.scope;
  e.waitUntil(
    (async () => {
      const tabs = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const tab = tabs.find((c) => c.url.startsWith(self.registration.scope)) as WindowClient | undefined;
      // A tab this worker does not control cannot be navigated: a new window then.
      const moved = tab
        ? await tab
            .focus()
            .then((t) => t.navigate(url))
            .catch(() => null)
        : null;
      if (!moved) await self.clients.openWindow(url);
    })(),
  );
});
