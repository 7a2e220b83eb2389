/** @module /api/publish/status: broker connection, outbox depth, bytes and oldest age, drops. */
import { Elysia } from 'elysia';
import type { Runtime } from '../runtime';

export const publishApi = (rt: Runtime) =>
  new Elysia({ name: 'api-publish', detail: { tags: ['publish'] } })
    .get('/api/publish/status', async () => ({
      mqtt: rt.mqtt ? { ...rt.mqtt.status(), url: rt.config.mqtt.url.replace(/\/\/[^@/]*@/, '//***@') } : null,
      websocket: rt.hub.status(),
    }), { detail: { summary: 'MQTT, WebSocket and webhook delivery' } });
