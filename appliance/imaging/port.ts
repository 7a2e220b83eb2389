/**
 * @module The imaging port: what the images service, the pipeline stages and the embedder need of
 * an image library (probe and validate an upload, thumbnails, model-input crops, event snapshots).
 * `imaging/sharp.ts` implements it; consumers take it as a value, so none of them imports sharp.
 */
import type { Exif } from '../contracts/images';

export type ImageFormat = 'jpeg' | 'png' | 'webp';
/** A photo's size in pixels, upright (after its EXIF orientation). */
export interface Size {
  width: number;
  height: number;
}
export interface Probe extends Size {
  format: ImageFormat;
  mime: string;
  ext: string;
}
export type { Exif };

export interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}
/** A decoded video frame: packed 3-byte pixels. */
export interface RawImage {
  pixels: Uint8Array;
  width: number;
  height: number;
  pixfmt: 'bgr24' | 'rgb24';
}

/** A box in frame pixels, [x1, y1, x2, y2], with the text drawn at its corner. */
export interface LabelledBox {
  box: [number, number, number, number];
  label: string;
}

/** How a photo becomes a model-input frame (the same geometry ffmpeg gives a video frame). */
export interface FitSpec {
  width: number;
  height: number;
  pixfmt: 'bgr24' | 'rgb24';
  fit: { mode: 'letterbox'; align: 'top-left' | 'center'; pad: number } | { mode: 'stretch' };
}

export interface Imaging {
  /** Read format and size from the header; reject unknown formats and images over maxPixels. */
  probe(data: Uint8Array, maxPixels: number): Promise<Probe>;
  /**
   * Fully decode once (catches truncated files), upright by EXIF orientation, and make a JPEG
   * thumbnail no larger than each of `sizes` on its long side (never enlarged).
   */
  thumbnails(data: Uint8Array, sizes: number[], maxPixels: number): Promise<Uint8Array[]>;
  /**
   * Resize so the short side is `shortSide`, then take the centred crop of cropW x cropH, as RGB.
   * `upright`: the photo's size after EXIF orientation, when a probe has read it already (the
   * header is then not read again).
   */
  centerCropRgb(
    data: Uint8Array,
    shortSide: number,
    cropW: number,
    cropH: number,
    maxPixels: number,
    upright?: Size,
  ): Promise<Rgb>;
  /** EXIF capture time and camera model, when the file has them; never fails. */
  readExif(data: Uint8Array): Promise<Exif>;
  /** The photo again without its location: upright, re-encoded in its format, with no EXIF but `exif`'s make and model. */
  withoutLocation(data: Uint8Array, maxPixels: number, exif: Pick<Exif, 'make' | 'model'>): Promise<Uint8Array>;
  /** JPEG of the region `crop` of a raw frame with one labelled box drawn (box in frame pixels). */
  snapshotJpeg(img: RawImage, crop: Region, box: [number, number, number, number], label: string): Promise<Uint8Array>;
  /** JPEG of the region `crop` of a raw frame with labelled boxes drawn (none: the picture alone). */
  frameJpeg(img: RawImage, crop: Region, boxes: LabelledBox[], quality?: number): Promise<Uint8Array>;
  /**
   * Decode a photo fully (a truncated one fails: unprocessable_image), upright by its EXIF
   * orientation, fitted into the spec as a raw frame; with the upright source size.
   */
  fitRaw(
    data: Uint8Array,
    spec: FitSpec,
    maxPixels: number,
  ): Promise<{ pixels: Uint8Array; width: number; height: number }>;
  /** The photo decoded upright as packed RGB (for crops of its detections at full resolution). */
  decodeRaw(data: Uint8Array, maxPixels: number): Promise<RawImage>;
  /** The photo (upright) as JPEG with labelled boxes drawn (boxes in its upright pixels). */
  annotateJpeg(data: Uint8Array, boxes: LabelledBox[], maxPixels: number, quality?: number): Promise<Uint8Array>;
  /** RGB pixels of a region of a raw frame, stretched to w x h. */
  rawRegionRgb(img: RawImage, region: Region, w: number, h: number): Promise<Uint8Array>;
  /** JPEG of a box [x1, y1, x2, y2] of a photo, in its upright pixels (clamped; under 8 px a side refused). */
  cropJpeg(data: Uint8Array, box: [number, number, number, number], maxPixels: number): Promise<Uint8Array>;
}
