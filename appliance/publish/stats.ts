/**
 * @module The `stats` topic: every `intervalS` seconds, the state of each stream (fps in and out,
 * dropped frames, queue depth, inference milliseconds) and of the outbox, as Frigate publishes
 * camera_fps, skipped_fps and detector inference speed. Timers are injected (fake time in tests).
 */
import type { MqttPublisher } from './mqtt';
import { every, type Timers } from '../shared/timers';

/** The figures of one stream the stats message carries (the ingest StreamView has them). */
export interface StreamStats {
  id: string;
  state: string;
  fps_in: number;
  fps_out: number;
  dropped: number;
  queue_depth: number;
  restarts: number;
  stage_ms: Record<string, number>;
}

export interface StatsSource {
  streams(): StreamStats[];
  outbox(): { depth: number; bytes: number; oldest_age_s: number | null; dropped_frames: number } | null;
  uptimeS(): number;
}

export function statsPayload(src: StatsSource): string {
  const streams = Object.fromEntries(
    src.streams().map((s) => [
      s.id,
      {
        state: s.state,
        fps_in: s.fps_in,
        fps_out: s.fps_out,
        dropped: s.dropped,
        queue_depth: s.queue_depth,
        inference_ms: s.stage_ms.detect ?? null,
        restarts: s.restarts,
      },
    ]),
  );
  return JSON.stringify({ uptime_s: src.uptimeS(), streams, outbox: src.outbox() });
}

export function startStats(
  pub: Pick<MqttPublisher, 'publish' | 'topics'>,
  src: StatsSource,
  intervalS: number,
  timers: Timers,
): { stop(): void } {
  return every(
    timers,
    () => {
      void pub
        .publish({ topic: pub.topics.stats, payload: statsPayload(src), qos: 0, retain: false, kind: 'frame' })
        .catch(() => undefined);
    },
    intervalS * 1000,
  );
}
