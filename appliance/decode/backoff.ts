/**
 * @module Restart policy for a stream's decoder: 1, 2, 5, 10, 20, 30, 60 s and then 60 s, reset
 * after a run that lasted; a refused login waits longer (a camera locks accounts that retry fast).
 * What an ffmpeg failure means is read from its stderr. Pure.
 */
import { stepOf } from '../shared/backoff';

export const STEPS_S = [1, 2, 5, 10, 20, 30, 60];
export const UNAUTHORIZED_S = 60;
/** A run this long counts as healthy: the next failure starts the schedule again. */
export const HEALTHY_RUN_S = 30;

export function nextDelayS(failures: number): number {
  return stepOf(STEPS_S, failures + 1);
}

export type Failure = 'unauthorized' | 'not_found' | 'unreachable' | 'ended' | 'error';

/** Classify a dead ffmpeg by its last stderr lines. */
export function classify(stderr: string[], exitCode: number | null): Failure {
  const text = stderr.join('\n');
  if (/401 Unauthorized|403 Forbidden|authorization failed/i.test(text)) return 'unauthorized';
  if (/404 Not Found|No such file or directory/i.test(text)) return 'not_found';
  if (
    /Connection refused|Connection timed out|No route to host|Network is unreachable|Operation timed out|Immediate exit requested/i.test(
      text,
    )
  )
    return 'unreachable';
  if (exitCode === 0) return 'ended';
  return 'error';
}

/** The server's own words from the lines, e.g. "401 Unauthorized", for the stream's last_error. */
export function serverAnswer(stderr: string[]): string | null {
  for (let i = stderr.length - 1; i >= 0; i--) {
    const m = /(\d{3} [A-Z][A-Za-z ]+)/.exec(stderr[i]!);
    if (m && /^[45]\d\d/.test(m[1]!)) return m[1]!.trim();
  }
  return null;
}
