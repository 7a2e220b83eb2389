/**
 * @module HTTP Range requests on a file (RFC 9110 §14): one `bytes=` range (first-last, first-, or
 * -suffix) answered 206 with Content-Range, an unsatisfiable one 416 with `bytes * /size`, none or
 * several (which players do not send) the whole file. A video element seeks through these.
 */

/** The byte range [start, end] (inclusive) a Range header asks of a file of `size` bytes; null: the whole file; 'unsatisfiable'. */
export function parseRange(
  header: string | null,
  size: number,
): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** A file as a response that honours Range; `headers` are added (a download name, cache rules). */
export function fileResponse(req: Request, path: string, type: string, headers: Record<string, string> = {}): Response {
  const file = Bun.file(path);
  const size = file.size;
  const base = { 'content-type': type, 'accept-ranges': 'bytes', ...headers };
  const r = parseRange(req.headers.get('range'), size);
  if (r === 'unsatisfiable')
    return new Response(null, { status: 416, headers: { ...base, 'content-range': `bytes */${size}` } });
  if (!r) return new Response(file, { headers: { ...base, 'content-length': String(size) } });
  return new Response(file.slice(r.start, r.end + 1), {
    status: 206,
    headers: {
      ...base,
      'content-range': `bytes ${r.start}-${r.end}/${size}`,
      'content-length': String(r.end - r.start + 1),
    },
  });
}
