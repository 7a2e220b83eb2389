/**
 * @module Web push on the wire, the only importer of `web-push`: the box's VAPID keys (RFC 8292),
 * made once, and one push to one browser's subscription, its payload encrypted as RFC 8291 says
 * (aes128gcm). web-push builds the request (encryption, the VAPID JWT, TTL and Urgency headers);
 * fetch delivers it, with a timeout, so a push service that hangs cannot hold the sender.
 */
import webpush from 'web-push';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** A browser's push subscription, as `PushSubscription.toJSON()` gives it. */
export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** How a push went: delivered, or refused (gone: the subscription is dead, 404 or 410) or failed. */
export type PushResult =
  | { ok: true; status: number }
  | { ok: false; gone: boolean; status: number | null; error: string };

export const newVapidKeys = (): VapidKeys => webpush.generateVAPIDKeys();

export interface PushOptions {
  vapid: VapidKeys;
  /** Who runs the box (`mailto:` or an https URL): push services contact it about problems. */
  subject: string;
  /** Seconds the push service keeps the message for an offline browser. */
  ttlS: number;
  urgency: 'very-low' | 'low' | 'normal' | 'high';
  timeoutMs: number;
  fetcher?: typeof fetch;
}

export async function sendPush(target: PushTarget, payload: string, o: PushOptions): Promise<PushResult> {
  let d: ReturnType<typeof webpush.generateRequestDetails>;
  try {
    d = webpush.generateRequestDetails(target, payload, {
      vapidDetails: { subject: o.subject, publicKey: o.vapid.publicKey, privateKey: o.vapid.privateKey },
      TTL: o.ttlS,
      urgency: o.urgency,
      contentEncoding: 'aes128gcm',
    });
  } catch (e) {
    // A subscription whose keys are not what RFC 8291 needs can never be delivered to.
    return { ok: false, gone: true, status: null, error: (e as Error).message };
  }
  try {
    const res = await (o.fetcher ?? fetch)(d.endpoint, {
      method: d.method,
      headers: d.headers as Record<string, string>,
      body: d.body ?? undefined,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    await res.arrayBuffer();
    if (res.ok) return { ok: true, status: res.status };
    return {
      ok: false,
      gone: res.status === 404 || res.status === 410,
      status: res.status,
      error: `the push service answered ${res.status}`,
    };
  } catch (e) {
    return { ok: false, gone: false, status: null, error: (e as Error).message };
  }
}
