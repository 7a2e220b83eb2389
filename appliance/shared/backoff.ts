/** @module Backoff schedules: seconds per attempt, the last step repeating. Pure. */

/** Step n (1-based) of a schedule; past its end, the last step. */
export function stepOf(stepsS: readonly number[], n: number): number {
  return stepsS[Math.min(Math.max(n, 1), stepsS.length) - 1]!;
}

/** Step n in milliseconds, stretched by up to `jitter` (a fraction) × random, so boxes do not retry in step. */
export function jitteredMs(stepsS: readonly number[], n: number, jitter: number, random: number): number {
  return Math.round(stepOf(stepsS, n) * 1000 * (1 + jitter * random));
}
