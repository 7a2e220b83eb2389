/**
 * @module Event snapshots: the best frame of a track, stored in the object store and registered in
 * the image index (with its embedding), so a user can find video events by uploading a photo. From
 * the camera's picture when the decoder writes one (up to snapshots.max_width): the clean picture
 * is the image (and what is embedded), a copy with the box drawn is its thumbnail and preview.
 * Without one (a run's photo path, a decoder that writes none), from the frame the model saw.
 */
import type { SnapshotPort } from './types';
import type { Imaging } from '../imaging/port';
import { pictureRegion, toInput } from '../inference/detect/types';

/** What snapshots need of the image library: register a JPEG for search (the images service does). */
export interface SnapshotRegistry {
  register(u: {
    data: Uint8Array;
    fileName: string;
    name: string;
    description: string;
    tags: string[];
    origin: { kind: 'snapshot'; stream: string; eventId: string };
    /** The same picture with the box drawn: the thumbnail and preview are made from it. */
    annotated?: Uint8Array;
  }): Promise<{ storage_key: string; id: string }>;
}

/** Pictures are at most 7680 px wide (snapshots.max_width): far under this. */
const MAX_PIXELS = 8192 * 8192;

export function snapshotter(images: SnapshotRegistry, imaging: Imaging): SnapshotPort {
  return {
    async take(frame, box, meta) {
      const picture = frame.picture ? await frame.picture : null;
      let jpeg: Uint8Array;
      let annotated: Uint8Array | undefined;
      let inImage: [number, number, number, number];
      if (picture) {
        // The camera's picture: the box (in source pixels) scaled to its width.
        const { width } = await imaging.probe(picture, MAX_PIXELS);
        const k = width / (frame.letterbox.srcWidth || width);
        const scaled = box.map((v) => v * k) as [number, number, number, number];
        jpeg = picture;
        inImage = scaled;
        annotated = await imaging.annotateJpeg(picture, [{ box: scaled, label: meta.label }], MAX_PIXELS);
      } else {
        // The part of the frame that is picture, not letterbox padding, and the box in frame pixels.
        const crop = pictureRegion(frame.letterbox, frame.width, frame.height);
        const inFrame = toInput(box, frame.letterbox);
        jpeg = await imaging.snapshotJpeg(frame, crop, inFrame, meta.label);
        inImage = [inFrame[0] - crop.left, inFrame[1] - crop.top, inFrame[2] - crop.left, inFrame[3] - crop.top];
      }
      const row = await images.register({
        ...(annotated && { annotated }),
        data: jpeg,
        fileName: `${meta.eventId}.jpg`,
        name: `${frame.stream} ${meta.label} ${meta.eventType}`,
        description: `snapshot of event ${meta.eventId}`,
        tags: ['snapshot', frame.stream, meta.label, meta.eventType],
        origin: { kind: 'snapshot', stream: frame.stream, eventId: meta.eventId },
      });
      return { key: row.storage_key, imageId: row.id, box: inImage };
    },
  };
}
