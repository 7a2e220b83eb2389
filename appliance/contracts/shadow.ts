/** @module The shadow pipelines' report: what GET /api/shadow answers, MQTT summarises and the dashboard draws. */

export interface Comparison {
  frames: number;
  detections: { live: Record<string, number>; shadow: Record<string, number> };
  events: {
    live: Record<string, number>;
    shadow: Record<string, number>;
    gained: Record<string, number>;
    lost: Record<string, number>;
  };
  /** Boxes matched one to one within their class, and the share of all boxes that found a match. */
  boxes: { matched: number; live_only: number; shadow_only: number; agreement: number | null; mean_iou: number | null };
  /** Mean milliseconds per compared frame, each side's whole pipeline. */
  ms_per_frame: { live: number | null; shadow: number | null };
}

export interface ShadowWindow extends Comparison {
  start: string;
  end: string;
}

export interface ShadowReport {
  stream: string;
  live: { pipeline: string; revision: string | null };
  shadow: { pipeline: string; overrides: Record<string, unknown>; revision: string | null };
  sample: number;
  segment_s: number;
  window_s: number;
  since: string;
  /** Frames offered to the shadow (in its segments), run by it, shed (queue full or live behind), failed, waiting. */
  frames: { offered: number; analysed: number; shed: number; failed: number; queued: number };
  /** Each pipeline's mean milliseconds per stage over its recent frames. */
  stage_ms: { live: Record<string, number>; shadow: Record<string, number> };
  /**
   * What the shadow costs: its frames per second, its milliseconds per frame, and the live frames
   * per second that its time would have analysed.
   */
  cost: { shadow_fps: number; shadow_ms_per_frame: number | null; live_fps_equivalent: number | null };
  total: Comparison;
  /** Closed windows, newest first, and the current one. */
  windows: ShadowWindow[];
  current: ShadowWindow;
}
