/**
 * Injection and traversal: ids, tags, filters, names, stream and pipeline names, user names and
 * key ids carrying `../`, NUL, quotes, SQL fragments, format strings and 10,000-character strings,
 * in paths, queries, form fields and JSON, against a real appliance. Every answer is a 4xx (or a
 * 2xx that stored the text as text), never a 5xx; nothing outside the state dir is read or made;
 * the tables keep their rows.
 */
import { expect, test } from 'bun:test';
import { join, dirname } from 'node:path';
import { readdir } from 'node:fs/promises';
import { fileBlob, form, IMAGES, startAppliance, stream, VIDEOS } from '../helpers/fixtures';

export const NASTY = [
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '....//....//etc/passwd',
  '/etc/passwd',
  'a\u0000b',
  '%00',
  "' OR '1'='1",
  '1; DROP TABLE images; --',
  '"; DELETE FROM events; --',
  "') UNION SELECT sha256 FROM x --",
  '${jndi:ldap://127.0.0.1/x}',
  '{{7*7}}',
  '%s%s%s%n',
  '<script>alert(1)</script>',
  '\u202egnp.exe',
  '*',
  '%',
  '_',
  '[]',
  '{}',
  'null',
  '-1',
  '0',
  '1e309',
  'NaN',
  '9'.repeat(40),
  'x'.repeat(10_000),
  'é'.repeat(3000),
  '\\..\\..\\windows',
  'C:\\boot.ini',
  'file:///etc/passwd',
];

test('nasty ids, filters, fields and names: 4xx or stored as text, never 5xx, nothing read or written outside the state dir', async () => {
  await using app = await startAppliance({
    api: { auth: true, rate_limit_per_minute: 1_000_000 },
    streams: [
      stream({
        id: 'cam',
        url: join(VIDEOS, 'people-detection_from-gif.mp4'),
        pipeline: 'people',
        fps: 1,
        loop: true,
        realtime: true,
      }),
    ],
  });
  const jpeg = await fileBlob(join(IMAGES, 'dog.jpg'), 'image/jpeg');
  const seed = await app.api('/api/images', {
    method: 'POST',
    body: form({ file: [jpeg, 'dog.jpg'], name: 'seed', tags: 'a,b' }),
  });
  expect(seed.status).toBe(201);
  const outside = await readdir(dirname(app.state));
  const failures: string[] = [];
  let requests = 0;
  const probe = async (what: string, path: string, init: RequestInit = {}, allow2xx = false) => {
    requests++;
    const res = await app.api(path, init);
    const text = await res.text();
    if (res.status >= 500 || text.includes('root:x:0:0') || (!allow2xx && res.status < 400 && res.status !== 204))
      failures.push(`${what}: ${res.status} ${text.slice(0, 160)}`);
  };
  const enc = encodeURIComponent;
  for (const n of NASTY) {
    const p = n.includes('%') && !n.startsWith('%') ? n : enc(n);
    await probe(`GET image ${n.slice(0, 30)}`, `/api/images/${p}`);
    await probe(`GET file ${n.slice(0, 30)}`, `/api/images/${p}/file`);
    await probe(`GET thumb ${n.slice(0, 30)}`, `/api/images/${p}/thumbnail`);
    await probe(`DELETE image ${n.slice(0, 30)}`, `/api/images/${p}`, { method: 'DELETE' });
    await probe(`GET event ${n.slice(0, 30)}`, `/api/events/${p}`);
    await probe(`GET stream ${n.slice(0, 30)}`, `/api/streams/${p}`);
    await probe(`PATCH stream pipeline ${n.slice(0, 30)}`, '/api/streams/cam', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline: n }),
    });
    await probe(`PATCH stream overrides ${n.slice(0, 30)}`, '/api/streams/cam', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ overrides: { [n]: n } }),
    });
    await probe(`PATCH user ${n.slice(0, 30)}`, `/api/users/${p}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: n }),
    });
    await probe(`DELETE key ${n.slice(0, 30)}`, `/api/keys/${p}`, { method: 'DELETE' });
    await probe(`POST key ${n.slice(0, 30)}`, '/api/keys', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: n, user: n, scopes: [n] }),
    });
    await probe(`login ${n.slice(0, 30)}`, '/api/auth/login', {
      method: 'POST',
      body: new URLSearchParams({ username: n, password: n }),
    });
    // Filters are valid to ask for: an empty or matching list (2xx) is a right answer, 5xx is not.
    for (const q of ['tags', 'from', 'to', 'page', 'limit', 'q'])
      await probe(`list ${q}=${n.slice(0, 20)}`, `/api/images?${q}=${enc(n)}`, {}, true);
    for (const q of ['stream', 'label', 'type', 'from', 'to', 'page', 'limit'])
      await probe(`events ${q}=${n.slice(0, 20)}`, `/api/events?${q}=${enc(n)}`, {}, true);
    await probe(
      `search tags ${n.slice(0, 20)}`,
      '/api/search',
      { method: 'POST', body: form({ file: [jpeg, 'dog.jpg'], tags: n, limit: '3' }) },
      true,
    );
    // Text fields of a valid upload are stored as text: the answer is 201 or a 4xx, and the text comes back unchanged.
    requests++;
    const up = await app.api('/api/images', {
      method: 'POST',
      body: form({ file: [jpeg, `${n.slice(0, 200)}.jpg`], name: n, description: n, tags: n }),
    });
    if (up.status >= 500) failures.push(`upload fields ${n.slice(0, 30)}: ${up.status}`);
    if (up.status === 201) {
      const id = ((await up.json()) as { image_id: string }).image_id;
      const got = (await (await app.api(`/api/images/${id}`)).json()) as { name: string; description: string };
      if (got.description !== n && got.description !== n.replaceAll(String.fromCharCode(0), ''))
        failures.push(`description changed for ${n.slice(0, 30)}`);
      await app.api(`/api/images/${id}`, { method: 'DELETE' });
    } else await up.arrayBuffer();
  }
  console.log(`injection: ${NASTY.length} payloads, ${requests} requests`);
  expect(failures).toEqual([]);
  // The seed image is still there, nothing new appeared beside the state dir, and the box is healthy.
  // (Other processes may use /tmp: only entries named after a payload would be ours.)
  const made = (await readdir(dirname(app.state))).filter(
    (f) => !outside.includes(f) && /passwd|boot\.ini|windows|\.exe|drop|script|jndi/i.test(f),
  );
  expect([
    (await app.api('/api/images')).status,
    ((await (await app.api('/api/images')).json()) as { total: number }).total,
    made,
    (await fetch(`${app.url}/health`)).status,
  ]).toEqual([200, 1, [], 200]);
}, 300_000);
