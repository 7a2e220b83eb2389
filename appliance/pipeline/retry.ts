/**
 * @module A stage's retry policy (`retry:` in the pipeline YAML, Argo's retryStrategy in small):
 * how many more attempts, the backoff between them, and which failures are worth one. A transient
 * failure is one the same input may pass next time: the inference worker gone, the disk full or
 * busy, the store unavailable. Any other error of the stage is `error`. A bad input (an image that
 * does not decode) is never retried: it fails its item at once. Pure.
 */
import { Type, type Static } from '@sinclair/typebox';
import { isAppError, isDiskFull } from '../shared/errors';

export const RetryPolicy = Type.Object(
  {
    limit: Type.Integer({ default: 0, minimum: 0, maximum: 20, description: 'Attempts after the first.' }),
    backoff: Type.Object(
      {
        initial_s: Type.Number({ default: 1, minimum: 0, maximum: 3600, description: 'Wait before the 2nd attempt.' }),
        factor: Type.Number({ default: 2, minimum: 1, maximum: 10, description: 'Each wait is the last times this.' }),
        max_s: Type.Number({ default: 60, minimum: 0, maximum: 86_400, description: 'No wait is longer.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    on: Type.Array(Type.Union([Type.Literal('transient'), Type.Literal('error')]), {
      default: ['transient'],
      minItems: 1,
      description: 'transient: worker crashed, disk full or busy, store unavailable; error: any other stage error.',
    }),
  },
  { additionalProperties: false },
);
export type RetryPolicy = Static<typeof RetryPolicy>;

const TRANSIENT_CODES = new Set(['model_unavailable', 'store_failed', 'unavailable', 'storage_full']);
const TRANSIENT_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EBUSY', 'EAGAIN', 'EIO', 'ETIMEDOUT', 'EMFILE', 'ENFILE']);
const BAD_INPUT_CODES = new Set(['unprocessable_image', 'unsupported_media_type', 'validation_failed', 'bad_request']);

export type FailureKind = 'transient' | 'error' | 'bad_input';

export function failureKind(e: unknown): FailureKind {
  if (isAppError(e) && BAD_INPUT_CODES.has(e.code)) return 'bad_input';
  if (isDiskFull(e)) return 'transient';
  for (let x: unknown = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if (isAppError(x) && TRANSIENT_CODES.has(x.code)) return 'transient';
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_ERRNO.has(code)) return 'transient';
  }
  return 'error';
}

/** Seconds to wait before attempt `failed + 1`, or null when the policy gives up after `failed` attempts. */
export function retryDelayS(policy: RetryPolicy | null, failed: number, e: unknown): number | null {
  if (!policy || failed > policy.limit) return null;
  const kind = failureKind(e);
  if (kind === 'bad_input' || !policy.on.includes(kind)) return null;
  const b = policy.backoff;
  return Math.min(b.max_s, b.initial_s * b.factor ** (failed - 1));
}
