/** @module /api/publish/status: broker connection and outbox, WebSocket clients, webhook backlogs and failures. */
import { Elysia } from 'elysia';
import type { Runtime } from '../runtime';

export const publishApi = (rt: Runtime) =>
  new Elysia({ name: 'api-publish', detail: { tags: ['publish'] } })
    .get('/api/publish/status', async () => ({
      mqtt: rt.mqtt ? { ...rt.mqtt.status(), url: rt.config.mqtt.url.replace(/\/\/[^@/]*@/, '//***@') } : null,
      websocket: rt.hub.status(),
      webhooks: await Promise.all(rt.webhooks.map((w) => w.status())),
    }), { detail: { summary: 'MQTT, WebSocket and webhook delivery' } });
