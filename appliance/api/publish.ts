/** @module /api/publish/status: broker connection and outbox, WebSocket clients, webhook backlogs and failures. */
import { Elysia } from 'elysia';
import type { MqttPublisher } from '../publish/mqtt';
import type { WsHub } from '../publish/ws-hub';
import type { WebhookWorker } from '../publish/webhooks';

export interface PublishDeps {
  mqtt: MqttPublisher | null;
  mqttUrl: string;
  hub: WsHub;
  webhooks: WebhookWorker[];
}

export const publishApi = (rt: PublishDeps) =>
  new Elysia({ name: 'api-publish', detail: { tags: ['publish'] } }).get(
    '/api/publish/status',
    async () => ({
      mqtt: rt.mqtt ? { ...rt.mqtt.status(), url: rt.mqttUrl.replace(/\/\/[^@/]*@/, '//***@') } : null,
      websocket: rt.hub.status(),
      webhooks: await Promise.all(rt.webhooks.map((w) => w.status())),
    }),
    { detail: { summary: 'MQTT, WebSocket and webhook delivery' } },
  );
