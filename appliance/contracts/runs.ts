/**
 * @module The states of a pipeline run and of its items and steps, shared by the runs feature that
 * decides them, the store that keeps them and the API that shows them. Types and their lists.
 */

export const RUN_STATES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'partially_failed',
  'canceled',
  'interrupted',
] as const;
export type RunStatus = (typeof RUN_STATES)[number];
export const ITEM_STATES = ['pending', 'running', 'succeeded', 'failed', 'retrying', 'skipped'] as const;
export type ItemStatus = (typeof ITEM_STATES)[number];

export interface Attempt {
  at: string;
  ms: number;
  error: string | null;
  /** Seconds waited before the next attempt (null: no next attempt). */
  retry_in_s: number | null;
}
export interface StepState {
  status: ItemStatus;
  attempts: Attempt[];
}
export type Steps = Record<string, StepState>;

/** Live progress of a run, in the envelope of every published message (sessionId is the run id). */
export type RunMessage =
  | RunEnvelope<
      'runProgress',
      {
        status: RunStatus;
        done: number;
        total: number;
        percent: number;
        succeeded: number;
        failed: number;
      }
    >
  | RunEnvelope<'stepStarted', { item: number; stage: string; attempt: number }>
  | RunEnvelope<'stepSucceeded', { item: number; stage: string; ms: number }>
  | RunEnvelope<'stepFailed', { item: number; stage: string; ms: number; error: string; retry_in_s: number | null }>;

export interface RunEnvelope<E extends string, P> {
  sessionId: string;
  timestamp: string;
  event: E;
  payload: P & { run_id: string; pipeline: string; seq: number };
}
