/**
 * @module A recorded segment as the index keeps it: the maintainer writes it, the store keeps it,
 * clips and the timeline read it. Times in ms since the epoch.
 */
export interface RecordedSegment {
  /** Its path under the recordings directory, which is also its id. */
  id: string;
  stream: string;
  path: string;
  start: number;
  end: number;
  bytes: number;
  codec: string;
  width: number | null;
  height: number | null;
  /** Keyframe times, seconds from the segment's start. */
  keyframes: number[];
  /** The fleet revision the box ran when it was indexed (null: the local config). */
  revision: string | null;
}
