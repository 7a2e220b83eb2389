/**
 * @module HTTPS from a certificate and key file (PEM), checked at start (readable, a certificate,
 * a private key that belongs to it) and watched: when either file changes (certbot, a renewal
 * job), the new pair is checked the same way and the listener is restarted on the same port with
 * it; a pair that does not check out is logged and the old one kept. Bun cannot swap certificates
 * on a live listener, so the restart is the way; it takes milliseconds.
 */
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { dirname } from 'node:path';
import { AppError } from '../shared/errors';
import type { Logger } from '../shared/log';

export interface TlsFiles {
  cert_file: string;
  key_file: string;
}
export interface TlsPair {
  cert: string;
  key: string;
  subject: string;
  validTo: string;
}

/** Read and check a pair: the error names the file and what is wrong with it. */
export function readPair(f: TlsFiles): TlsPair {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new AppError('config_invalid', `/api/tls: cannot read the ${what} ${path}: ${(e as Error).message}`);
    }
  };
  const cert = read(f.cert_file, 'certificate');
  const key = read(f.key_file, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new AppError('config_invalid', `/api/tls/cert_file: ${f.cert_file} is not a PEM certificate`);
  }
  let pk: ReturnType<typeof createPrivateKey>;
  try {
    pk = createPrivateKey(key);
  } catch {
    throw new AppError('config_invalid', `/api/tls/key_file: ${f.key_file} is not a PEM private key`);
  }
  if (!x509.checkPrivateKey(pk))
    throw new AppError(
      'config_invalid',
      `/api/tls: the key in ${f.key_file} does not belong to the certificate in ${f.cert_file}`,
    );
  return { cert, key, subject: x509.subject.replace(/\n/g, ', '), validTo: x509.validTo };
}

/** Call `onPair` with each new valid pair after the files change (debounced); stop() ends the watch. */
export function watchPair(
  f: TlsFiles,
  onPair: (p: TlsPair) => Promise<void>,
  log: Logger,
  debounceMs = 300,
): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = () => {
    timer = null;
    let pair: TlsPair;
    try {
      pair = readPair(f);
    } catch (e) {
      log.error('the new TLS certificate or key is not usable; keeping the current one', { error: e });
      return;
    }
    onPair(pair).then(
      () => log.info('TLS certificate reloaded', { subject: pair.subject, valid_to: pair.validTo }),
      (e) => log.error('TLS reload failed', { error: e }),
    );
  };
  // The directories, not the files: renewals often replace a file (or a symlink) rather than write it.
  const watchers: FSWatcher[] = [...new Set([dirname(f.cert_file), dirname(f.key_file)])].map((d) =>
    watch(d, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(fire, debounceMs);
    }),
  );
  return {
    stop: () => {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
