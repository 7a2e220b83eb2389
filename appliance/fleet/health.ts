/**
 * @module The health gate after a fleet change: every stream the change added or changed must be
 * running (or, for a file that was read to its end, stopped) and must have analysed frames since
 * the change. Pure.
 */
export interface StreamProbe {
  id: string;
  state: string;
  frames_analysed: number;
  last_error: string | null;
}

/** Why the change is not healthy (one clause per stream), or null when it is. */
export function unhealthy(ids: string[], before: Map<string, number>, now: StreamProbe[]): string | null {
  const bad: string[] = [];
  for (const id of ids) {
    const s = now.find((x) => x.id === id);
    if (!s) {
      bad.push(`${id}: not running`);
      continue;
    }
    const fresh = s.frames_analysed > (before.get(id) ?? 0);
    const alive = s.state === 'running' || (s.state === 'stopped' && fresh);
    if (!alive || !fresh)
      bad.push(`${id}: ${s.state}${s.last_error ? ` (${s.last_error})` : ''}${fresh ? '' : ', no new results'}`);
  }
  return bad.length ? bad.join('; ') : null;
}
