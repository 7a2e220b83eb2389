/**
 * @module Sync decisions apart from S3 and DuckDB: where an object goes in the bucket, in what
 * order, and how long to wait after a failure. Pure.
 */
import { jitteredMs } from '../shared/backoff';

export const PRIORITY = { snapshot: 0, image: 1, clip: 1, thumbnail: 2, frame: 3 } as const;
export type Origin = keyof typeof PRIORITY;

/**
 * `<prefix>/<device>/<yyyy>/<mm>/<dd>/<sha256>.<ext>`, the date (UTC) being when the object was
 * first stored: stable, so a retried upload writes the same key and never a duplicate.
 */
export function remoteKey(prefix: string, device: string, storedAt: Date, sha256: string, ext: string): string {
  const d = storedAt.toISOString();
  const parts = [
    prefix.replace(/^\/+|\/+$/g, ''),
    device,
    d.slice(0, 4),
    d.slice(5, 7),
    d.slice(8, 10),
    `${sha256}.${ext}`,
  ];
  return parts.filter(Boolean).join('/');
}

/** sha256 and extension from a local content key `<sha[0:2]>/<sha256>.<ext>`. */
export function parseLocalKey(key: string): { sha256: string; ext: string } {
  const m = /^[0-9a-f]{2}\/([0-9a-f]{64})\.([a-z0-9]{1,8})$/.exec(key);
  if (!m) throw new Error(`not a content key: ${key}`);
  return { sha256: m[1]!, ext: m[2]! };
}

const TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  mp4: 'video/mp4',
  parquet: 'application/vnd.apache.parquet',
};
export const contentTypeOf = (ext: string) => TYPES[ext] ?? 'application/octet-stream';

export const BACKOFF_S = [1, 2, 5, 10, 30, 60, 120, 300];

/** Wait before the next attempt of an object that failed `attempts` times, with up to 25% jitter. */
export function retryDelayMs(attempts: number, random: number): number {
  return jitteredMs(BACKOFF_S, attempts, 0.25, random);
}

/**
 * Between two probes of a bucket that does not take uploads: an unreachable one every `offlineMaxS`
 * (30 s by default) at most (cheap, and the backlog should move soon after the link is back), one
 * that refuses the credentials or does not exist every 5 min at most (a person has to fix it).
 */
const PROBE_OFFLINE_S = [1, 2, 5, 10, 20];

export function probeDelayMs(failures: number, offline: boolean, random: number, offlineMaxS = 30): number {
  const steps = offline ? [...PROBE_OFFLINE_S.filter((s) => s < offlineMaxS), offlineMaxS] : BACKOFF_S;
  return jitteredMs(steps, failures, 0.25, random);
}
