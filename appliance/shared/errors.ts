/**
 * @module The one error type of the appliance. Every failure that crosses a module boundary is an
 * AppError with a code from a closed list; the HTTP layer maps it to a status and body in one place
 * (api/errors.ts), the CLI prints its message and exits non-zero.
 */

export type ErrorCode =
  | 'config_invalid'
  | 'not_found'
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'payload_too_large'
  | 'quota_exceeded'
  | 'unsupported_media_type'
  | 'unprocessable_image'
  | 'rate_limited'
  | 'model_unavailable'
  | 'model_checksum_mismatch'
  | 'store_failed'
  | 'unavailable'
  | 'storage_full'
  | 'conflict'
  | 'internal';

/** HTTP status for each code: the single mapping the API uses. */
export const statusOf: Record<ErrorCode, number> = {
  config_invalid: 500,
  not_found: 404,
  bad_request: 400,
  validation_failed: 422,
  unauthorized: 401,
  forbidden: 403,
  payload_too_large: 413,
  quota_exceeded: 413,
  unsupported_media_type: 415,
  unprocessable_image: 422,
  rate_limited: 429,
  model_unavailable: 503,
  model_checksum_mismatch: 500,
  store_failed: 500,
  unavailable: 503,
  storage_full: 507,
  conflict: 409,
  internal: 500,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Extra response headers, e.g. Retry-After for rate_limited. */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { cause?: unknown; details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = opts.details ?? null;
    this.headers = opts.headers ?? {};
  }

  get status(): number {
    return statusOf[this.code];
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** A short human message for any thrown value, for logs and CLI output. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether a failure is the disk (or the quota) being full: a file write's ENOSPC, or DuckDB's message for it. */
export function isDiskFull(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
    if (/No space left on device|disk quota exceeded/i.test(String((x as Error).message ?? ''))) return true;
  }
  return false;
}

/** The one answer to a full disk: 507 storage_full with Retry-After; what was accepted before is kept. */
export const diskFull = (cause: unknown, what: string) =>
  new AppError(
    'storage_full',
    `the disk is full: ${what} could not be written; free space on the state filesystem (nothing stored before is lost)`,
    { cause, headers: { 'Retry-After': '60' } },
  );

/** A pipeline or config problem that came from the caller's request: 422 with its problems (file:line), not 500. */
export const asValidation = (e: unknown): unknown =>
  isAppError(e) && e.code === 'config_invalid'
    ? new AppError('validation_failed', e.message, { details: e.details })
    : e;
