/**
 * @module When the next scheduled backup is due: daily at HH:MM in the box's local time (systemd
 * and the box's timezone decide what local is), and which old backups to delete to keep `keep`.
 * Pure.
 */

/** The next time of day `hhmm` strictly after `now`. */
export function nextDaily(now: Date, hhmm: string): Date {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const next = new Date(now);
  next.setHours(h, m, 0, 0);
  if (next.getTime() <= now.getTime()) next.setDate(next.getDate() + 1);
  return next;
}

/** Backup names (sortable by time) to delete so that the newest `keep` stay. */
export function toPrune(names: string[], keep: number): string[] {
  return [...names].sort().reverse().slice(keep);
}

/** A sortable, filesystem-safe name: fovea-<device>-<yyyymmddThhmmssZ>. */
export function backupName(device: string, at: Date): string {
  return `fovea-${device.replace(/[^a-zA-Z0-9._-]/g, '_')}-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')}`;
}
