/** @module Uploads with progress (fetch cannot report upload progress; XMLHttpRequest can). */
import { credential, href } from './api';

export interface UploadResult {
  ok: boolean;
  status: number;
  body: unknown;
}

export function uploadFile(
  path: string,
  form: FormData,
  onProgress: (fraction: number) => void,
): Promise<UploadResult> {
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open('POST', href(path));
    const c = credential();
    if (c) x.setRequestHeader('authorization', `Bearer ${c}`);
    x.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    x.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(x.responseText);
      } catch {
        body = x.responseText;
      }
      resolve({ ok: x.status >= 200 && x.status < 300, status: x.status, body });
    };
    x.onerror = () => resolve({ ok: false, status: 0, body: { error: { message: 'the connection failed' } } });
    x.send(form);
  });
}

export const messageOf = (r: UploadResult) =>
  (r.body as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${r.status}`;
