/**
 * @module The shape of a review item, which the review grouper makes, the store keeps, and MQTT,
 * the WebSocket and the API show: overlapping activity on one stream, from its first tracked object
 * to the last, with its labels, zones, tracks, events and a thumbnail. Times are ms since the epoch.
 */

export type Severity = 'alert' | 'detection';

export interface ReviewItem {
  id: string;
  stream: string;
  start: number;
  /** null while the activity goes on. */
  end: number | null;
  severity: Severity;
  labels: string[];
  /** Its objects' sub-labels from a classifier (delivery), distinct, as each object's stands now. */
  sub_labels: string[];
  /** The text read on its objects (plates, by ocr@1), distinct, as each object's best reading stands now. */
  texts: string[];
  zones: string[];
  /** The tracked objects' ids in the stream's tracker. */
  tracks: number[];
  /** The ids of the item's events (enter, leave, cross, dwell; counts are not review). */
  events: string[];
  /** The image id of the item's thumbnail (its first event snapshot), or null. */
  thumb: string | null;
}

/** What a change of an item is called on MQTT and the WebSocket (Frigate's `reviews` topic's words). */
export type ReviewChange = 'new' | 'update' | 'end';

export interface ReviewMessage {
  type: ReviewChange;
  before: ReviewItem | null;
  after: ReviewItem;
}
