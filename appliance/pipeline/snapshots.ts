/**
 * @module Event snapshots: the best frame of a track as a JPEG with its box, stored in the object store
 * and registered in the image index (with its embedding), so a user can find video events by
 * uploading a photo. Snapshots are at the analysis resolution (the frame the model saw).
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
  }): Promise<{ storage_key: string; id: string }>;
}

export function snapshotter(images: SnapshotRegistry, imaging: Imaging): SnapshotPort {
  return {
    async take(frame, box, meta) {
      // The part of the frame that is picture, not letterbox padding, and the box in frame pixels.
      const crop = pictureRegion(frame.letterbox, frame.width, frame.height);
      const inFrame = toInput(box, frame.letterbox);
      const jpeg = await imaging.snapshotJpeg(frame, crop, inFrame, meta.label);
      const row = await images.register({
        data: jpeg,
        fileName: `${meta.eventId}.jpg`,
        name: `${frame.stream} ${meta.label} ${meta.eventType}`,
        description: `snapshot of event ${meta.eventId}`,
        tags: ['snapshot', frame.stream, meta.label, meta.eventType],
        origin: { kind: 'snapshot', stream: frame.stream, eventId: meta.eventId },
      });
      return { key: row.storage_key, imageId: row.id };
    },
  };
}
