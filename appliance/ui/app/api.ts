/**
 * @module The dashboard's client of the appliance API: every path is relative to the page's base (so
 * the app works under a reverse-proxy sub-path), the access token lives in memory, and the refresh
 * token (or an API key) in localStorage so a reload keeps the session. A 401 refreshes once and
 * retries; a second one ends the session.
 */

export interface Me {
  subject: string | null;
  kind: string | null;
  role: 'viewer' | 'operator' | 'admin' | null;
  scopes: string[];
  /** The signed-in user's id (whose images are theirs), and their library against its quota. */
  user_id?: string | null;
  library?: { used_bytes: number; quota_bytes: number | null } | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const REFRESH = 'fovea.refresh';
const KEY = 'fovea.key';
let access: string | null = null;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

/** A path of the appliance, under the page's base. */
export const href = (path: string) => new URL(path.replace(/^\//, ''), document.baseURI).toString();

/** The WebSocket URL of a path under the base. */
export const wsHref = (path: string) => href(path).replace(/^http/, 'ws');

/** Told when the session ends (refresh refused, logout). */
export const onSignedOut = (fn: () => void) => {
  listeners.add(fn);
  return () => listeners.delete(fn);
};

/** The credential to send: the access token, else a stored API key. */
export const credential = () => access ?? localStorage.getItem(KEY);

export const hasStoredSession = () => !!(localStorage.getItem(REFRESH) || localStorage.getItem(KEY));

async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => null)) as {
    error?: { code: string; message: string; details?: unknown };
  } | null;
  return new ApiError(
    res.status,
    body?.error?.code ?? 'error',
    body?.error?.message ?? res.statusText,
    body?.error?.details,
  );
}

function keep(tokens: { access_token: string; refresh_token: string }) {
  access = tokens.access_token;
  localStorage.setItem(REFRESH, tokens.refresh_token);
}

async function post(path: string, body: Record<string, string>): Promise<Response> {
  return fetch(href(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/**
 * Tabs refresh one at a time (a Web Lock shared by every tab of the box), each with the refresh
 * token stored last: two tabs opening at once never present one token twice. Where Web Locks are
 * missing (a page over plain http from another host is no secure context), the box's reuse grace
 * covers the race instead.
 */
const oneTabAtATime = <T>(fn: () => Promise<T>): Promise<T> =>
  navigator.locks ? (navigator.locks.request('fovea.refresh', fn) as Promise<T>) : fn();

/** Use the stored refresh token for a new access token (one refresh at a time, across tabs). */
export function refresh(): Promise<boolean> {
  refreshing ??= oneTabAtATime(async () => {
    const token = localStorage.getItem(REFRESH);
    if (!token) return false;
    const res = await post('api/auth/refresh', { refresh_token: token });
    if (!res.ok) {
      // Only the token this tab spent: another tab may have stored a newer one meanwhile.
      if (localStorage.getItem(REFRESH) === token) localStorage.removeItem(REFRESH);
      return false;
    }
    keep(await res.json());
    return true;
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

export async function login(username: string, password: string): Promise<void> {
  const res = await post('api/auth/login', { username, password });
  if (!res.ok) throw await errorOf(res);
  localStorage.removeItem(KEY);
  keep(await res.json());
}

export async function signup(username: string, password: string): Promise<void> {
  const res = await post('api/auth/signup', { username, password });
  if (!res.ok) throw await errorOf(res);
  await login(username, password);
}

/** Sign in with an API key instead of a user (a kiosk screen, a script's key). */
export async function useKey(key: string): Promise<void> {
  const res = await fetch(href('api/auth/me'), { headers: { 'x-api-key': key } });
  if (!res.ok) throw await errorOf(res);
  localStorage.removeItem(REFRESH);
  access = null;
  localStorage.setItem(KEY, key);
}

export async function logout(): Promise<void> {
  const token = localStorage.getItem(REFRESH);
  access = null;
  localStorage.removeItem(REFRESH);
  localStorage.removeItem(KEY);
  if (token) await post('api/auth/logout', { refresh_token: token }).catch(() => undefined);
  for (const fn of listeners) fn();
}

/** fetch under the base with the credential; a 401 refreshes once and retries. */
export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const send = () => {
    const headers = new Headers(init.headers);
    const c = credential();
    if (c) headers.set('authorization', `Bearer ${c}`);
    return fetch(href(path), { ...init, headers });
  };
  let res = await send();
  if (res.status === 401 && !localStorage.getItem(KEY) && (await refresh())) res = await send();
  if (res.status === 401 && hasStoredSession()) {
    access = null;
    localStorage.removeItem(REFRESH);
    localStorage.removeItem(KEY);
    for (const fn of listeners) fn();
  }
  return res;
}

/** GET (or send) JSON; a non-2xx answer throws the server's error. */
/** A JSON answer; a status that is not OK throws, unless `accept` lists it (/health says degraded with 503). */
export async function json<T>(path: string, init: RequestInit = {}, accept: readonly number[] = []): Promise<T> {
  const res = await api(path, init);
  if (!res.ok && !accept.includes(res.status)) throw await errorOf(res);
  return (res.status === 204 ? null : await res.json()) as T;
}

export const sendJson = <T>(path: string, method: string, body: unknown) =>
  json<T>(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** An image the API serves (it needs the credential, which an <img src> cannot send) as an object URL. */
export async function imageUrl(path: string): Promise<string> {
  const res = await api(path);
  if (!res.ok) throw await errorOf(res);
  return URL.createObjectURL(await res.blob());
}

export interface AuthStatus {
  auth_required: boolean;
  first_user: boolean;
  /** The analytics pages are readable without signing in. */
  public_analytics: boolean;
}

export const authStatus = () => fetch(href('api/auth/status')).then((r) => r.json() as Promise<AuthStatus>);
export const me = () => json<Me>('api/auth/me');
