/**
 * @module How much local data must go, and which: the disk budget is a byte limit on stored
 * objects and/or a limit on how full the state directory's filesystem may be; only copies that
 * are already in the bucket may go, oldest first. Pure.
 */

export interface Budget {
  max_bytes: number;
  max_disk_percent: number;
}
export interface Usage {
  objectBytes: number;
  fsTotal: number;
  fsUsed: number;
}

/** Bytes to free now (0 when within budget). A limit of 0 is no limit. */
export function overBudget(b: Budget, u: Usage): number {
  const byBytes = b.max_bytes > 0 ? u.objectBytes - b.max_bytes : 0;
  const byDisk = b.max_disk_percent > 0 ? u.fsUsed - (b.max_disk_percent / 100) * u.fsTotal : 0;
  return Math.max(0, Math.ceil(Math.max(byBytes, byDisk)));
}

/** The oldest candidates whose sizes cover `need`; `short` is what remains when they do not. */
export function pickEvictions<T extends { size: number }>(
  need: number,
  oldestFirst: T[],
): { evict: T[]; short: number } {
  const evict: T[] = [];
  let freed = 0;
  for (const c of oldestFirst) {
    if (freed >= need) break;
    evict.push(c);
    freed += c.size;
  }
  return { evict, short: Math.max(0, need - freed) };
}
