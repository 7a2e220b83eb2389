/**
 * @module Who watches which run over gRPC: the executor reports every run's progress here (it is a
 * RunReporter beside the WebSocket hub and MQTT), and each Watch call gets its run's messages, in
 * order, until the message that says the run finished.
 */
import type { RunMessage } from '../contracts/runs';
import type { RunReporter } from '../publish/port';
import { KeyedListeners } from '../shared/listeners';

const ENDED = new Set(['succeeded', 'failed', 'partially_failed', 'canceled', 'interrupted']);

/** Whether a message is a run's last (its progress says it finished or was interrupted). */
export const isLast = (m: RunMessage) => m.event === 'runProgress' && ENDED.has(m.payload.status);

export class RunWatchers implements RunReporter {
  private readonly listeners = new KeyedListeners<string, RunMessage>();

  run(m: RunMessage): void {
    this.listeners.emit(m.payload.run_id, m);
  }

  /** Be told of a run's messages until the returned function is called. */
  watch(runId: string, fn: (m: RunMessage) => void): () => void {
    return this.listeners.add(runId, fn);
  }
}
