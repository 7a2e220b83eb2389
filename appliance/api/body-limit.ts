/**
 * @module Request bodies are limited by what is read, not by what is declared. A body with a
 * Content-Length over its route's limit is refused with 413 before anything is read (and before
 * the credential check, so nobody's upload is parsed for nothing). A body without one (chunked
 * transfer) is read here, after the credential check, counting bytes, and refused with 413 the
 * moment it passes the limit; what stays under it is handed on as an ordinary buffered request,
 * so no parser downstream ever sees more than the limit. A JSON body is read here too, to check
 * its nesting before it is parsed. Hono's body-limit middleware does the
 * same (`src/middleware/body-limit`).
 */
import { Elysia } from 'elysia';
import { AppError } from '../shared/errors';
import { pathOf } from './path';
import { bracketDepth, PARSE_LIMITS, tooDeep } from '../shared/parse-limits';

export interface BodyRule {
  method: string;
  /** A canonical path (any letter case). */
  path: string;
  maxBytes: number;
}

const tooLarge = (max: number, declared: string | null) =>
  new AppError(
    'payload_too_large',
    declared === null
      ? `the request body passed the limit of ${max} bytes`
      : `the request body is ${declared} bytes, over the limit of ${max}`,
    { details: { max_bytes: max } },
  );

const hasBody = (req: Request) => req.method !== 'GET' && req.method !== 'HEAD';

function maxOf(rules: BodyRule[], fallback: number, req: Request): number {
  const path = pathOf(req).toLowerCase();
  return rules.find((r) => r.method === req.method && r.path === path)?.maxBytes ?? fallback;
}

/** Read a stream to its end, or throw 413 as soon as it passes `max` (the rest is never read). */
export async function readLimited(body: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(max, null);
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * The two halves: `declared` goes before the credential check, `streamed` after it. `adopt` moves
 * what other hooks keyed on the request (its id, its timer, its caller) to the buffered copy.
 */
export function bodyLimits(rules: BodyRule[], fallback: number, adopt: (from: Request, to: Request) => void) {
  const declared = new Elysia({ name: 'body-limit-declared' }).onRequest(({ request }) => {
    if (!hasBody(request)) return;
    const len = request.headers.get('content-length');
    const max = maxOf(rules, fallback, request);
    if (len !== null && Number(len) > max) throw tooLarge(max, len);
  });
  const streamed = new Elysia({ name: 'body-limit-streamed' }).onRequest(async (ctx) => {
    const req = ctx.request;
    if (!hasBody(req) || !req.body) return;
    const json = (req.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json');
    if (req.headers.get('content-length') !== null && !json) return;
    const data = await readLimited(req.body, maxOf(rules, fallback, req));
    // JSON's nesting is checked before any parser builds it (a 1 MiB body of brackets would
    // otherwise nest half a million levels deep for every validator after it to walk).
    if (json && bracketDepth(new TextDecoder().decode(data)) > PARSE_LIMITS.depth) throw tooDeep('the request body');
    const headers = new Headers(req.headers);
    headers.delete('transfer-encoding');
    headers.set('content-length', String(data.byteLength));
    const next = new Request(req.url, { method: req.method, headers, body: data });
    adopt(req, next);
    // Every later hook, the parser and the handler read the context's request.
    (ctx as { request: Request }).request = next;
  });
  return { declared, streamed };
}
