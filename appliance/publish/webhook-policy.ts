/**
 * @module What a webhook delivery means, apart from HTTP: the signature a receiver checks, what
 * an answer asks for (done, try again later, or give this event up), and how long to wait. Pure.
 *
 * Signature: `X-Fovea-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Fovea-Timestamp>.<body>")>`,
 * the timestamp in Unix seconds, so a receiver can refuse replays of old deliveries.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { jitteredMs } from '../shared/backoff';

export function sign(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** The receiver's side, as the README shows it: constant-time compare, bounded clock skew. */
export function verify(
  secret: string,
  header: string,
  timestampS: number,
  body: string,
  nowS: number,
  toleranceS = 300,
): boolean {
  if (Math.abs(nowS - timestampS) > toleranceS) return false;
  const want = Buffer.from(sign(secret, timestampS, body));
  const got = Buffer.from(header);
  return got.length === want.length && timingSafeEqual(got, want);
}

export type Outcome = 'delivered' | 'retry' | 'skip';

/**
 * 2xx delivers. A few 4xx say this event will never be accepted (bad request, too large,
 * unsupported, unprocessable): it is skipped, and counted, so it does not block the ones after
 * it. Everything else (5xx, 408, 429, 401/403/404 of a receiver being set up, redirects, network
 * errors, timeouts) is retried: the event stays stored and waits.
 */
export function outcomeOf(status: number | null): Outcome {
  if (status === null) return 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if ([400, 413, 415, 422].includes(status)) return 'skip';
  return 'retry';
}

export const RETRY_STEPS_S = [1, 2, 5, 10, 20, 30, 60];

/** Wait before retry number `attempt` (1-based), with up to 20% jitter so boxes do not retry in step. */
export function retryDelayMs(attempt: number, random: number): number {
  return jitteredMs(RETRY_STEPS_S, attempt, 0.2, random);
}

/** A URL fit for logs and status: no credentials, no query (either may carry a token). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
