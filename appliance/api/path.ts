/**
 * @module The one form of a request path that every gate decides on. The router is lenient (Elysia
 * routes `/metrics/` and `//api/users` to their routes), so a gate that compared raw paths could be
 * walked around by a trailing slash, a doubled slash, other letter case or percent-encoding. Every
 * door (the auth guard, the body limits, the WebSocket gates, the security headers) asks here
 * instead: the path percent-decoded once, slashes collapsed, the trailing one dropped. Letter case
 * is kept (ids are case-sensitive); the access table matches without it. A path no client of ours
 * sends (an encoded slash, a dot segment, a control character, broken percent-encoding) is refused.
 */
import { AppError } from '../shared/errors';

const malformed = (why: string) => new AppError('bad_request', `the request path is not well-formed: ${why}`);

/** The canonical path of a raw URL pathname, or a 400 for one that no client of the box sends. */
export function canonicalPath(raw: string): string {
  if (/%2f|%5c/i.test(raw)) throw malformed('an encoded slash');
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw malformed('broken percent-encoding');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f\\]/.test(decoded)) throw malformed('a control character or a backslash');
  const collapsed = `/${decoded.split('/').filter(Boolean).join('/')}`;
  if (collapsed.split('/').some((s) => s === '.' || s === '..')) throw malformed('a dot segment');
  return collapsed;
}

/** The canonical path of a request (see canonicalPath). */
export const pathOf = (req: Request): string => canonicalPath(new URL(req.url).pathname);

/** Whether a canonical path is under a prefix such as `/api/`, in any letter case. */
export const under = (path: string, prefix: string): boolean =>
  path.toLowerCase().startsWith(prefix) || `${path.toLowerCase()}/` === prefix;
