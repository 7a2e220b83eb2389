/**
 * @module What motion gating did on a stream's frames, counted frame by frame: frames with motion,
 * detector calls skipped, regions per frame, stationary objects. For `/api/streams`, the metrics and
 * the golden clips' report. Pure.
 */
import type { Frame } from './types';

export interface GatingView {
  /** Frames the motion stage saw motion on. */
  frames_with_motion: number;
  /** Frames that skipped the detector (no motion, nothing due). */
  detector_skipped: number;
  /** Frames whose detector ran on regions, and on the whole frame. */
  detector_regions: number;
  detector_full: number;
  /** Detector calls on those frames (each region one, the whole frame one). */
  detector_calls: number;
  /** Share of gated frames that skipped the detector. */
  skipped_share: number;
  /** Detector calls per frame that ran it (regions count one each). */
  regions_per_frame: number | null;
  /** Confirmed tracks that are stationary now. */
  stationary: number;
}

/** Counts of what motion gating did, frame by frame. */
export class GatingCounts {
  private n = { motion: 0, skipped: 0, regions: 0, full: 0, calls: 0 };
  private stationary = 0;
  private seen = false;

  add(frame: Pick<Frame, 'gate' | 'stationary'>): void {
    if (frame.stationary !== undefined) this.stationary = frame.stationary;
    const g = frame.gate;
    if (!g) return;
    this.seen = true;
    if (g.motion) this.n.motion++;
    if (g.detector === 'skipped') this.n.skipped++;
    else this.n[g.detector]++;
    this.n.calls += g.regions;
  }

  view(): GatingView | null {
    if (!this.seen) return null;
    const { motion, skipped, regions, full, calls } = this.n;
    const all = skipped + regions + full;
    return {
      frames_with_motion: motion,
      detector_skipped: skipped,
      detector_regions: regions,
      detector_full: full,
      detector_calls: calls,
      skipped_share: all ? Math.round((skipped / all) * 1000) / 1000 : 0,
      regions_per_frame: regions + full ? Math.round((calls / (regions + full)) * 100) / 100 : null,
      stationary: this.stationary,
    };
  }
}
