/**
 * @module The box's VAPID keys, made once and kept in its state (mode 0600): every browser's
 * subscription is bound to the public key, so new keys would silently orphan them all. A file that
 * is there but unreadable is an error naming it, never replaced.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../shared/errors';
import { newVapidKeys, type VapidKeys } from './webpush';

const B64URL = /^[A-Za-z0-9_-]+$/;

export async function vapidKeys(path: string): Promise<VapidKeys> {
  if (existsSync(path)) {
    let k: Partial<VapidKeys>;
    try {
      k = JSON.parse(await readFile(path, 'utf8')) as Partial<VapidKeys>;
    } catch (e) {
      throw new AppError(
        'config_invalid',
        `the VAPID keys in ${path} are not JSON: move the file away to make new ones (every browser then subscribes again)`,
        { cause: e },
      );
    }
    if (
      typeof k.publicKey !== 'string' ||
      typeof k.privateKey !== 'string' ||
      !B64URL.test(k.publicKey) ||
      !B64URL.test(k.privateKey)
    )
      throw new AppError('config_invalid', `the VAPID keys in ${path} lack publicKey or privateKey (base64url)`);
    return { publicKey: k.publicKey, privateKey: k.privateKey };
  }
  const k = newVapidKeys();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.part`, JSON.stringify(k), { mode: 0o600 });
  await chmod(`${path}.part`, 0o600);
  await rename(`${path}.part`, path);
  return k;
}
