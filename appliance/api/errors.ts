/**
 * @module The one mapping from errors to HTTP: every failure leaves as
 * `{error: {code, message, details}}` with the status of its code. Unknown errors are logged and
 * answered as `internal` without their message (it may hold paths or data).
 */
import { Elysia } from 'elysia';
import { AppError, isAppError, type ErrorCode } from '../shared/errors';
import type { Logger } from '../shared/log';
import { requestIdOf } from './metrics';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: unknown };
}

export function errorResponse(e: AppError): Response {
  const body: ErrorBody = { error: { code: e.code, message: e.message, details: e.details } };
  return new Response(JSON.stringify(body), {
    status: e.status,
    headers: { 'content-type': 'application/json', ...e.headers },
  });
}

/** A validation error's words; for a choice of literals, the values themselves (Elysia names only their type). */
function wordsOf(x: { summary?: string; message?: string; schema?: { anyOf?: Array<{ const?: unknown }> } }): string {
  const values = x.schema?.anyOf?.map((s) => s.const);
  if (values?.length && values.every((v) => typeof v === 'string'))
    return `must be one of ${values.map((v) => `'${v}'`).join(', ')}`;
  return x.summary ?? x.message ?? '';
}

/** Elysia's own error kinds, as AppErrors. */
function fromFramework(code: string | number, error: unknown): AppError | null {
  switch (code) {
    case 'VALIDATION': {
      const v = error as { all?: Array<Parameters<typeof wordsOf>[0] & { path?: string }>; message?: string };
      const details = (v.all ?? []).map((x) => ({ path: x.path ?? '', message: wordsOf(x) }));
      const first = details[0];
      return new AppError(
        'validation_failed',
        first ? `${first.path || 'request'}: ${first.message}` : 'the request is not valid',
        { details },
      );
    }
    case 'PARSE':
      return new AppError('bad_request', 'the request body could not be parsed (malformed JSON or multipart)');
    case 'NOT_FOUND':
      return new AppError('not_found', 'no such route');
    default:
      return null;
  }
}

/**
 * Errors as HTTP answers. `page` may answer a browser's request for an address no route has
 * (the dashboard's own "not found" with its menu, not the API's JSON).
 */
export const errorHandler = (log: Logger, page?: (req: Request) => Promise<Response | null>) =>
  new Elysia({ name: 'errors' }).onError({ as: 'global' }, async ({ code, error, request, set }) => {
    if (code === 'NOT_FOUND' && page) {
      const shown = await page(request);
      if (shown) {
        set.status = 404;
        return shown;
      }
    }
    const e = isAppError(error) ? error : fromFramework(code, error);
    if (!e)
      log.error('unhandled error', {
        method: request.method,
        path: new URL(request.url).pathname,
        request_id: requestIdOf(request),
        error,
      });
    const out = e ?? new AppError('internal', 'internal error');
    // Read back by the HTTP metrics after the response.
    set.status = out.status;
    return errorResponse(out);
  });
