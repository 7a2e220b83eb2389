/**
 * @module /api/notify: web push for the signed-in caller. The box's VAPID public key (what a browser
 * subscribes with); the caller's browsers (subscriptions) with their choices and delivery record;
 * adding one (checked: an https push service, RFC 8291 keys), changing its choices, removing it,
 * and a test push. A subscription is its owner's alone: another user's is not found. The thumbnail a
 * push links opens by its signature, with no credential: the browser fetches it, not the page.
 */
import { Elysia, t } from 'elysia';
import { AppError } from '../shared/errors';
import { DEFAULT_PREFS, NotifyPrefsT, type NotifyPrefs } from '../notify/rules';
import { subscriptionProblem } from '../notify/endpoint';
import type { SubscriptionRow } from '../store/notify';
import type { PushResult } from '../notify/webpush';
import { ownerOf } from './auth';

export interface NotifyApiDeps {
  /** The VAPID public key, or null when web push is off. */
  publicKey: string | null;
  list(owner: string): Promise<SubscriptionRow[]>;
  get(id: string): Promise<SubscriptionRow | null>;
  subscribe(
    s: Pick<SubscriptionRow, 'owner' | 'endpoint' | 'keys' | 'agent' | 'prefs'>,
    id: string,
  ): Promise<SubscriptionRow>;
  setPrefs(id: string, owner: string, prefs: NotifyPrefs): Promise<boolean>;
  remove(id: string, owner: string): Promise<boolean>;
  /** A test push to the subscription, recorded as any other. */
  test(s: SubscriptionRow): Promise<PushResult>;
  /** Does a push's signed link open this image's thumbnail now (notify/links.ts)? */
  linkOpens(image: string, exp: number, sig: string): boolean;
  /** An image's thumbnail (JPEG). */
  thumbnail(image: string): Promise<Blob>;
  /** Tests only: a push-service stand-in on loopback http. */
  allowLoopbackHttp: boolean;
}

/** A subscription as its owner sees it: the push service's host, not its capability URL. */
const view = (s: SubscriptionRow) => ({
  id: s.id,
  service: new URL(s.endpoint).host,
  agent: s.agent,
  prefs: { ...DEFAULT_PREFS, ...(s.prefs as Partial<NotifyPrefs>) },
  created: new Date(s.created).toISOString(),
  sent: s.sent,
  last_ok: s.lastOk === null ? null : new Date(s.lastOk).toISOString(),
  failures: s.failures,
  last_error: s.lastError,
});

const Prefs = t.Partial(NotifyPrefsT);

export const notifyApi = (d: NotifyApiDeps) => {
  const own = async (id: string, owner: string) => {
    const s = await d.get(id);
    if (!s || s.owner !== owner) throw new AppError('not_found', `no subscription ${id}`);
    return s;
  };
  const on = () => {
    if (!d.publicKey) throw new AppError('conflict', 'web push is off on this box (notify.web_push.enabled)');
  };
  return new Elysia({ name: 'api-notify', prefix: '/api/notify', detail: { tags: ['notify'] } })
    .get('/vapid', () => ({ enabled: d.publicKey !== null, public_key: d.publicKey }), {
      detail: { summary: "The box's VAPID public key, for PushManager.subscribe" },
    })
    .get(
      '/thumbnail/:id',
      async ({ params, query }) => {
        // A link that does not open is "not found", as an image the caller may not see is.
        if (!d.linkOpens(params.id, Number(query.exp), query.sig))
          throw new AppError('not_found', `image ${params.id} not found`);
        return new Response(await d.thumbnail(params.id), {
          headers: {
            'content-type': 'image/jpeg',
            'cache-control': 'private, max-age=3600',
            'x-content-type-options': 'nosniff',
          },
        });
      },
      {
        params: t.Object({ id: t.String({ maxLength: 64 }) }),
        query: t.Object({ exp: t.String({ maxLength: 12 }), sig: t.String({ maxLength: 64 }) }),
        detail: {
          summary:
            "A pushed item's thumbnail, by the signed link in the push (the browser fetches it without credentials)",
        },
      },
    )
    .get('/subscriptions', async ({ request }) => ({ items: (await d.list(ownerOf(request))).map(view) }), {
      detail: { summary: "The caller's browsers subscribed to pushes" },
    })
    .post(
      '/subscriptions',
      async ({ body, request, set }) => {
        on();
        const problem = subscriptionProblem(body, { allowLoopbackHttp: d.allowLoopbackHttp });
        if (problem) throw new AppError('validation_failed', problem);
        const prefs = { ...DEFAULT_PREFS, ...body.prefs };
        const agent = request.headers.get('user-agent')?.slice(0, 200) ?? null;
        const s = await d.subscribe(
          { owner: ownerOf(request), endpoint: body.endpoint, keys: body.keys, agent, prefs },
          Bun.randomUUIDv7(),
        );
        set.status = 201;
        return view(s);
      },
      {
        body: t.Object(
          {
            endpoint: t.String({ minLength: 1, maxLength: 1000 }),
            keys: t.Object(
              { p256dh: t.String({ maxLength: 200 }), auth: t.String({ maxLength: 100 }) },
              { additionalProperties: true },
            ),
            expirationTime: t.Optional(t.Union([t.Number(), t.Null()])),
            prefs: t.Optional(Prefs),
          },
          { additionalProperties: false },
        ),
        detail: { summary: "Subscribe a browser (PushSubscription.toJSON(), and the caller's choices)" },
      },
    )
    .patch(
      '/subscriptions/:id',
      async ({ params, body, request }) => {
        const owner = ownerOf(request);
        const s = await own(params.id, owner);
        const prefs = { ...DEFAULT_PREFS, ...(s.prefs as Partial<NotifyPrefs>), ...body.prefs };
        await d.setPrefs(s.id, owner, prefs);
        return view({ ...s, prefs });
      },
      {
        params: t.Object({ id: t.String({ maxLength: 64 }) }),
        body: t.Object({ prefs: Prefs }, { additionalProperties: false }),
        detail: { summary: "Change a browser's choices (streams, labels, zones, severities, cooldown, quiet, snooze)" },
      },
    )
    .delete(
      '/subscriptions/:id',
      async ({ params, request, set }) => {
        if (!(await d.remove(params.id, ownerOf(request))))
          throw new AppError('not_found', `no subscription ${params.id}`);
        set.status = 204;
      },
      { params: t.Object({ id: t.String({ maxLength: 64 }) }), detail: { summary: 'Unsubscribe a browser' } },
    )
    .post(
      '/subscriptions/:id/test',
      async ({ params, request }) => {
        on();
        const r = await d.test(await own(params.id, ownerOf(request)));
        return r.ok
          ? { delivered: true, status: r.status, error: null }
          : { delivered: false, status: r.status, error: r.error, removed: r.gone };
      },
      {
        params: t.Object({ id: t.String({ maxLength: 64 }) }),
        detail: { summary: 'Send a test notification to one of the caller’s browsers' },
      },
    );
};
