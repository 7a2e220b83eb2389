/**
 * @module The retained MQTT summary of the box's shadow pipelines: per stream, both pipelines and
 * revisions, the frame counts, the cost, the total comparison and the last closed window (the
 * full list of windows is in GET /api/shadow/:stream). Pure.
 */
import type { ShadowReport } from './runner';

export function shadowSummary(reports: ShadowReport[], now = new Date()) {
  return {
    at: now.toISOString(),
    shadows: reports.map(({ windows, current: _c, stage_ms: _s, ...r }) => ({ ...r, last_window: windows[0] ?? null })),
  };
}
