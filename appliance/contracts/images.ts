/** @module The photo library's shapes that both the box and the dashboard read. */

/** The EXIF a library keeps of a photo (every field null when the photo does not say). */
export interface Exif {
  /** When it was taken: at its offset when the photo gives one, else the clock read as UTC. */
  taken_at: Date | null;
  /** The camera's clock as written (YYYY-MM-DDTHH:MM:SS) and its offset from UTC (+02:00). */
  taken_local: string | null;
  taken_offset: string | null;
  /** Make and model together (what lists and search show). */
  camera_model: string | null;
  make: string | null;
  model: string | null;
  lens: string | null;
  exposure_s: number | null;
  f_number: number | null;
  focal_length_mm: number | null;
  iso: number | null;
  /** EXIF orientation 1..8 (thumbnails and runs are turned upright by it). */
  orientation: number | null;
  gps: { lat: number; lon: number; alt: number | null } | null;
}
