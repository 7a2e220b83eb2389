/**
 * @module What a push says about a review item: a title (what, where), a body (severity, zones, the
 * time on the box), the thumbnail's address and the page that opens the item. Pushes are small (a
 * push service takes about 4 KB), so the picture goes as an address the browser fetches.
 * Pure: the box's local time comes in formatted.
 */
import type { ReviewItem } from '../contracts/reviews';

export interface PushPayload {
  title: string;
  body: string;
  /** The thumbnail's signed link (links.ts), a path under the dashboard's base, or null. */
  image: string | null;
  /** The page that opens the item. */
  url: string;
  /** One notification per item: a later push for it replaces the earlier one. */
  tag: string;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * `base`: the dashboard's path prefix ("/" or "/fovea/"); `time`: the item's start, as the box tells
 * time; `thumb`: the signed link of an image, under the base.
 */
export function payloadOf(item: ReviewItem, base: string, time: string, thumb: (image: string) => string): PushPayload {
  const what = item.labels.length ? item.labels.map(cap).join(', ') : 'Activity';
  const where = item.zones.length ? ` in ${item.zones.join(', ')}` : '';
  return {
    title: `${what} at ${item.stream}`,
    body: `${cap(item.severity)}${where} · ${time}`,
    image: item.thumb ? `${base}${thumb(item.thumb)}` : null,
    url: `${base}review/${encodeURIComponent(item.id)}`,
    tag: `fovea-review-${item.id}`,
  };
}

/** The test button's push: it says which box, and opens the dashboard. */
export const testPayload = (base: string, device: string): PushPayload => ({
  title: 'fovea: notifications work',
  body: `Alerts from ${device} will reach this browser.`,
  image: null,
  url: base,
  tag: 'fovea-test',
});
