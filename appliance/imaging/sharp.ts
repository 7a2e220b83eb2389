/**
 * @module Image decoding with sharp (the only importer of sharp) and EXIF with exifr. Uploads are
 * validated by their content: the header is probed first and the pixel count checked before any
 * decode, so a 50000x50000 PNG bomb costs a header read, not gigabytes.
 */
import { fittedSize, resizeBilinear } from './resize';
import sharp, { type Metadata } from 'sharp';
import exifr from 'exifr';
import { AppError } from '../shared/errors';
import type { Exif, FitSpec, ImageFormat, Imaging, LabelledBox, Probe, RawImage, Region, Size } from './port';

const MIME: Record<ImageFormat, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };
const EXT: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };

sharp.cache(false);

/** Read format and size from the header; reject unknown formats and images over maxPixels. */
async function probe(data: Uint8Array, maxPixels: number): Promise<Probe> {
  if (data.byteLength === 0) throw new AppError('unsupported_media_type', 'the file is empty');
  let meta: Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new AppError('unsupported_media_type', 'the file is not a JPEG, PNG or WebP image', { cause: e });
  }
  const format = meta.format as string;
  if (format !== 'jpeg' && format !== 'png' && format !== 'webp') {
    throw new AppError('unsupported_media_type', `image format ${format} is not accepted (JPEG, PNG or WebP)`);
  }
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (width * height > maxPixels) {
    throw new AppError('payload_too_large', `image is ${width}x${height} pixels, over the limit of ${maxPixels}`, {
      details: { width, height, max_pixels: maxPixels },
    });
  }
  return { format, mime: MIME[format], ext: EXT[format], width, height };
}

function decodeFail(e: unknown): never {
  throw new AppError('unprocessable_image', `the image data is corrupt or truncated: ${(e as Error).message}`, {
    cause: e,
  });
}

/** Decode once (catches truncated files), upright, and make a JPEG thumbnail no larger than each size. */
async function thumbnails(data: Uint8Array, sizes: number[], maxPixels: number): Promise<Uint8Array[]> {
  try {
    const upright = sharp(data, { failOn: 'truncated', limitInputPixels: maxPixels }).rotate();
    return await Promise.all(
      sizes.map((size) =>
        upright
          .clone()
          .resize(size, size, { fit: 'inside', withoutEnlargement: true })
          .flatten({ background: '#ffffff' })
          .jpeg({ quality: 80 })
          .toBuffer(),
      ),
    );
  } catch (e) {
    decodeFail(e);
  }
}

/** The size of a photo after its EXIF orientation, from its header. */
async function uprightSize(data: Uint8Array, maxPixels: number): Promise<Size> {
  const meta = await sharp(data, { limitInputPixels: maxPixels }).metadata();
  return { width: meta.autoOrient?.width ?? meta.width!, height: meta.autoOrient?.height ?? meta.height! };
}

/** Resize so the short side is `shortSide`, then take the centred crop of cropW x cropH, as RGB. */
const centerCropRgb: Imaging['centerCropRgb'] = async (data, shortSide, cropW, cropH, maxPixels, upright) => {
  try {
    const img = sharp(data, { failOn: 'truncated', limitInputPixels: maxPixels }).rotate();
    const { width: w0, height: h0 } = upright ?? (await uprightSize(data, maxPixels));
    const scale = shortSide / Math.min(w0, h0);
    const w = Math.max(cropW, Math.round(w0 * scale));
    const h = Math.max(cropH, Math.round(h0 * scale));
    const { data: px, info } = await img
      .resize(w, h, { fit: 'fill', kernel: 'linear' })
      .extract({ left: Math.floor((w - cropW) / 2), top: Math.floor((h - cropH) / 2), width: cropW, height: cropH })
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { data: new Uint8Array(px.buffer, px.byteOffset, px.byteLength), width: info.width, height: info.height };
  } catch (e) {
    if (e instanceof AppError) throw e;
    decodeFail(e);
  }
};

/** EXIF capture time and camera model, when the file has them; never fails the upload. */
const NO_EXIF: Exif = {
  taken_at: null,
  taken_local: null,
  taken_offset: null,
  camera_model: null,
  make: null,
  model: null,
  lens: null,
  exposure_s: null,
  f_number: null,
  focal_length_mm: null,
  iso: null,
  orientation: null,
  gps: null,
};

const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** Degrees to 7 decimals (about a centimetre): the float noise of degrees-minutes-seconds goes. */
const deg = (v: number) => Math.round(v * 1e7) / 1e7;

/** EXIF 'YYYY:MM:DD HH:MM:SS' and an offset '+HH:MM' to the local text and the instant. */
function takenOf(raw: unknown, offset: unknown): Pick<Exif, 'taken_at' | 'taken_local' | 'taken_offset'> {
  const m = typeof raw === 'string' ? /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(raw) : null;
  if (!m) return { taken_at: null, taken_local: null, taken_offset: null };
  const local = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
  const off = typeof offset === 'string' && /^[+-]\d{2}:\d{2}$/.test(offset.trim()) ? offset.trim() : null;
  const t = Date.parse(`${local}${off ?? 'Z'}`);
  return Number.isNaN(t)
    ? { taken_at: null, taken_local: null, taken_offset: null }
    : { taken_at: new Date(t), taken_local: local, taken_offset: off };
}

async function readExif(data: Uint8Array): Promise<Exif> {
  try {
    const t = await exifr.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
      tiff: true,
      exif: true,
      gps: true,
      reviveValues: false,
      translateValues: false,
    });
    if (!t) return NO_EXIF;
    const make = text(t.Make);
    const model = text(t.Model);
    const lat = num(t.latitude);
    const lon = num(t.longitude);
    const altitude = num(t.GPSAltitude);
    const below = t.GPSAltitudeRef instanceof Uint8Array ? t.GPSAltitudeRef[0] === 1 : t.GPSAltitudeRef === 1;
    return {
      ...takenOf(t.DateTimeOriginal ?? t.CreateDate, t.OffsetTimeOriginal ?? t.OffsetTime),
      camera_model: [make, model].filter(Boolean).join(' ') || null,
      make,
      model,
      lens: text(t.LensModel),
      exposure_s: num(t.ExposureTime),
      f_number: num(t.FNumber),
      focal_length_mm: num(t.FocalLength),
      iso: num(t.ISO),
      orientation: num(t.Orientation),
      gps:
        lat !== null && lon !== null
          ? { lat: deg(lat), lon: deg(lon), alt: altitude === null ? null : below ? -altitude : altitude }
          : null,
    };
  } catch {
    return NO_EXIF;
  }
}

async function withoutLocation(
  data: Uint8Array,
  maxPixels: number,
  e: Pick<Exif, 'make' | 'model'>,
): Promise<Uint8Array> {
  const img = sharp(data, { failOn: 'truncated', limitInputPixels: maxPixels });
  const meta = await img.metadata();
  // Upright in the pixels (the orientation tag goes with the rest); make and model stay.
  const out = img.rotate().withExif({ IFD0: { ...(e.make && { Make: e.make }), ...(e.model && { Model: e.model }) } });
  const encoded =
    meta.format === 'png' ? out.png() : meta.format === 'webp' ? out.webp({ quality: 95 }) : out.jpeg({ quality: 95 });
  return new Uint8Array(await encoded.toBuffer());
}

/** A raw frame's pixels as RGB (sharp reads raw input as RGB; BGR frames are swapped). */
function rgbOf(img: RawImage): Uint8Array {
  if (img.pixfmt !== 'bgr24') return img.pixels;
  const rgb = new Uint8Array(img.pixels.length);
  for (let i = 0; i < rgb.length; i += 3) {
    rgb[i] = img.pixels[i + 2]!;
    rgb[i + 1] = img.pixels[i + 1]!;
    rgb[i + 2] = img.pixels[i]!;
  }
  return rgb;
}

const esc = (s: string) => s.replace(/[<>&"]/g, '');

/**
 * JPEG of the region `crop` of a raw frame with labelled boxes drawn (boxes in frame pixels), for
 * event snapshots and the live view.
 */
async function frameJpeg(img: RawImage, crop: Region, boxes: LabelledBox[], quality = 85): Promise<Uint8Array> {
  // sharp composites after extracting, so the overlay is the crop's size, in the crop's coordinates.
  const base = sharp(rgbOf(img), { raw: { width: img.width, height: img.height, channels: 3 } }).extract(crop);
  return (boxes.length ? base.composite([overlay(crop, boxes)]) : base).jpeg({ quality }).toBuffer();
}

/** An SVG of labelled boxes over the region `at` (boxes in the coordinates `at` is in). */
function overlay(at: Region, boxes: LabelledBox[]): { input: Buffer; top: 0; left: 0 } {
  const stroke = Math.max(2, Math.round(Math.max(at.width, at.height) / 400));
  const font = Math.max(11, stroke * 6);
  const shapes = boxes.map(({ box, label }) => {
    const [x1, y1, x2, y2] = box.map((v, i) => Math.round(v - (i % 2 === 0 ? at.left : at.top))) as [
      number,
      number,
      number,
      number,
    ];
    return `<rect x="${x1}" y="${y1}" width="${Math.max(1, x2 - x1)}" height="${Math.max(1, y2 - y1)}" fill="none" stroke="#00ff66" stroke-width="${stroke}"/>
    <text x="${x1 + 2}" y="${y1 < font + 1 ? y1 + font : y1 - 3}" font-family="sans-serif" font-size="${font}" fill="#00ff66">${esc(label)}</text>`;
  });
  const svg = `<svg width="${at.width}" height="${at.height}" xmlns="http://www.w3.org/2000/svg">${shapes.join('')}</svg>`;
  return { input: Buffer.from(svg), top: 0, left: 0 };
}

/**
 * A photo fitted into a model input as raw pixels: letterboxed (as letterboxOf computes with
 * 'trunc') or stretched. The resize is OpenCV's bilinear (resize.ts), as the detectors were
 * trained and evaluated with, not sharp's smoothing kernel.
 */
async function fitRaw(
  data: Uint8Array,
  spec: FitSpec,
  maxPixels: number,
): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const { pixels: src, width: w, height: h } = await decodeRaw(data, maxPixels);
  try {
    let pixels: Uint8Array;
    if (spec.fit.mode === 'stretch') pixels = resizeBilinear(src, w, h, 3, spec.width, spec.height);
    else {
      const { width: sw, height: sh } = fittedSize(w, h, spec.width, spec.height);
      const [left, top] =
        spec.fit.align === 'center' ? [Math.floor((spec.width - sw) / 2), Math.floor((spec.height - sh) / 2)] : [0, 0];
      const inner = resizeBilinear(src, w, h, 3, sw, sh);
      pixels = new Uint8Array(spec.width * spec.height * 3).fill(spec.fit.pad);
      for (let y = 0; y < sh; y++)
        pixels.set(inner.subarray(y * sw * 3, (y + 1) * sw * 3), ((top + y) * spec.width + left) * 3);
    }
    if (spec.pixfmt === 'bgr24')
      for (let i = 0; i < pixels.length; i += 3) {
        const r = pixels[i]!;
        pixels[i] = pixels[i + 2]!;
        pixels[i + 2] = r;
      }
    return { pixels, width: w, height: h };
  } catch (e) {
    if (e instanceof AppError) throw e;
    decodeFail(e);
  }
}

async function decodeRaw(data: Uint8Array, maxPixels: number): Promise<RawImage> {
  try {
    const { data: px, info } = await sharp(data, { failOn: 'truncated', limitInputPixels: maxPixels })
      .rotate()
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      pixels: new Uint8Array(px.buffer, px.byteOffset, px.byteLength),
      width: info.width,
      height: info.height,
      pixfmt: 'rgb24',
    };
  } catch (e) {
    decodeFail(e);
  }
}

async function annotateJpeg(
  data: Uint8Array,
  boxes: LabelledBox[],
  maxPixels: number,
  quality = 85,
): Promise<Uint8Array> {
  try {
    const { width, height } = await uprightSize(data, maxPixels);
    const img = sharp(data, { failOn: 'truncated', limitInputPixels: maxPixels })
      .rotate()
      .flatten({ background: '#ffffff' });
    return await (boxes.length ? img.composite([overlay({ left: 0, top: 0, width, height }, boxes)]) : img)
      .jpeg({ quality })
      .toBuffer();
  } catch (e) {
    if (e instanceof AppError) throw e;
    decodeFail(e);
  }
}

/** JPEG of the region `crop` of a raw frame with one box drawn (box in frame pixels), for event snapshots. */
function snapshotJpeg(
  img: RawImage,
  crop: Region,
  box: [number, number, number, number],
  label: string,
): Promise<Uint8Array> {
  return frameJpeg(img, crop, [{ box, label }]);
}

/**
 * RGB pixels of a region of a raw frame, resized to w x h (stretch), for embedding crops. BGR frames
 * come out as RGB.
 */
async function rawRegionRgb(img: RawImage, region: Region, w: number, h: number): Promise<Uint8Array> {
  const out = await sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } })
    .extract(region)
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  const px = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  if (img.pixfmt === 'bgr24') {
    for (let i = 0; i < px.length; i += 3) {
      const b = px[i]!;
      px[i] = px[i + 2]!;
      px[i + 2] = b;
    }
  }
  return px;
}

/**
 * JPEG of a box of a photo (upright pixels, clamped to the picture): a classifier's example. A box
 * under 8 px a side once clamped is refused.
 */
async function cropJpeg(
  data: Uint8Array,
  box: [number, number, number, number],
  maxPixels: number,
): Promise<Uint8Array> {
  const { width, height } = await uprightSize(data, maxPixels);
  const left = Math.max(0, Math.floor(Math.min(box[0], box[2])));
  const top = Math.max(0, Math.floor(Math.min(box[1], box[3])));
  const right = Math.min(width, Math.ceil(Math.max(box[0], box[2])));
  const bottom = Math.min(height, Math.ceil(Math.max(box[1], box[3])));
  if (right - left < 8 || bottom - top < 8)
    throw new AppError(
      'validation_failed',
      `the box ${JSON.stringify(box)} leaves under 8 px of a ${width}×${height} picture`,
    );
  try {
    return await sharp(data, { failOn: 'truncated', limitInputPixels: maxPixels })
      .rotate()
      .extract({ left, top, width: right - left, height: bottom - top })
      .flatten({ background: '#000000' })
      .jpeg({ quality: 90 })
      .toBuffer();
  } catch (e) {
    decodeFail(e);
  }
}

/** The Imaging port, implemented with sharp. */
export const sharpImaging: Imaging = {
  probe,
  thumbnails,
  centerCropRgb,
  readExif,
  withoutLocation,
  snapshotJpeg,
  frameJpeg,
  fitRaw,
  decodeRaw,
  annotateJpeg,
  rawRegionRgb,
  cropJpeg,
};
