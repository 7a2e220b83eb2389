/**
 * @module Stream sources: where frames come from (an RTSP camera or a video file) and how ffmpeg must
 * be told about it. RTSP URLs get port 554 when they name none and the credentials from secrets;
 * the URL with credentials exists only in ffmpeg's argv, never in a log line or an API answer.
 */
import { AppError } from '../shared/errors';
import { registerSecret } from '../shared/scrub';

export type Auth = 'none' | 'basic' | 'digest';

export interface SourceSpec {
  url: string;
  auth: Auth;
  username?: string;
  password?: string;
}

export type Source = { kind: 'rtsp'; url: string; display: string } | { kind: 'file'; path: string; display: string };

/** Resolve a stream's URL: file path or rtsp://, with default port and credentials (for ffmpeg). */
export function resolveSource(spec: SourceSpec): Source {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(spec.url)) return { kind: 'file', path: spec.url, display: spec.url };
  let u: URL;
  try {
    u = new URL(spec.url);
  } catch {
    throw new AppError('config_invalid', `stream url is not a valid URL`);
  }
  if (u.protocol !== 'rtsp:' && u.protocol !== 'rtsps:')
    throw new AppError('config_invalid', `stream url scheme ${u.protocol} is not supported (rtsp:// or a file path)`);
  if (!u.port) u.port = u.protocol === 'rtsps:' ? '322' : '554';
  if (u.username || u.password)
    throw new AppError('config_invalid', 'put camera credentials in username/password (secrets), not in the url');
  const display = u.toString();
  if (spec.auth !== 'none') {
    if (!spec.username) throw new AppError('config_invalid', `auth ${spec.auth} needs a username`);
    if (spec.password) {
      registerSecret(spec.password);
      registerSecret(encodeURIComponent(spec.password));
    }
    u.username = encodeURIComponent(spec.username);
    u.password = encodeURIComponent(spec.password ?? '');
  }
  return { kind: 'rtsp', url: u.toString(), display };
}
