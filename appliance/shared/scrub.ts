/**
 * @module Removes credentials from text before it reaches a log line or an error body: userinfo in
 * URLs (rtsp://user:pass@cam), and any secret value the config resolved (registered at load).
 */

const secrets = new Set<string>();

/** Remember a resolved secret so that scrub() masks it wherever it appears. */
export function registerSecret(value: string): void {
  if (value.length >= 4) secrets.add(value);
}

const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(?::[^/@\s]*)?@/gi;

export function scrub(text: string): string {
  let out = text.replace(URL_USERINFO, '$1***@');
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}
