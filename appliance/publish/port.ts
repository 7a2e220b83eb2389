/**
 * @module The port the `publish` stage hands results to: tracked-object changes, per-frame
 * detections (already rate-limited by the stage) and counts. MQTT and WebSocket implement it, each
 * keeping what its subscribers expect; `fanout` hands every result to all of them. Stored events
 * reach WebSocket and webhook subscribers from the store instead (after commit, so they can replay).
 */
import type { TrackedObjectState } from './topics';
import type { FrameEnvelope } from './envelope';
import type { RunMessage } from '../contracts/runs';

export type { FrameEnvelope };
export type ObjectChange = 'new' | 'update' | 'end';

export interface Publisher {
  object(
    type: ObjectChange,
    before: TrackedObjectState | null,
    after: TrackedObjectState,
    revision: string | null,
  ): Promise<void>;
  detections(env: FrameEnvelope): Promise<void>;
  count(stream: string, label: string, count: number): Promise<void>;
}

/** One publisher for many; null when there are none, so the stage can skip its work. */
export function fanout(pubs: Array<Publisher | null>): Publisher | null {
  const all = pubs.filter((p): p is Publisher => p !== null);
  if (all.length === 0) return null;
  if (all.length === 1) return all[0]!;
  const each = async (f: (p: Publisher) => Promise<void>) => {
    await Promise.all(all.map(f));
  };
  return {
    object: (t, b, a, r) => each((p) => p.object(t, b, a, r)),
    detections: (env) => each((p) => p.detections(env)),
    count: (s, l, c) => each((p) => p.count(s, l, c)),
  };
}

/** Where a run's live progress goes: WebSocket clients that follow it, and its MQTT topic. */
export interface RunReporter {
  run(m: RunMessage): void;
}
