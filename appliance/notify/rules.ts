/**
 * @module Whether a review item's change reaches one person's browser, by their choices: streams,
 * labels, zones and severities (alerts only unless they ask for more), a cooldown per stream, quiet
 * hours and a snooze. An item notifies once, when it starts matching: a new item, or an update that
 * made it match (a detection that became an alert, a label or zone it gained). Frigate notifies
 * on new alerts the same way (frigate/comms/webpush.py). Pure: the clock and the last sends come in.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ReviewMessage, ReviewItem } from '../contracts/reviews';

const Names = (what: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100, uniqueItems: true, description: what });
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time, HH:MM.' });

/** One browser's choices: the schema the API checks them with, and their type. */
export const NotifyPrefsT = Type.Object(
  {
    streams: Names('Streams to hear from (empty: all the person may see).'),
    labels: Names('Labels that count (empty: any).'),
    zones: Names('Zones that count (empty: anywhere).'),
    severities: Type.Array(Type.Union([Type.Literal('alert'), Type.Literal('detection')]), {
      minItems: 1,
      uniqueItems: true,
      description: 'Alerts only by default.',
    }),
    cooldown_s: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      description: 'Seconds after a notification before the same stream notifies this browser again.',
    }),
    quiet: Type.Union([Type.Object({ from: HHMM, to: HHMM }, { additionalProperties: false }), Type.Null()], {
      description: 'Local times between which nothing is sent ("22:00" to "07:00" wraps midnight); null: none.',
    }),
    snoozed_until: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'Epoch ms until which nothing is sent, or null.',
    }),
  },
  { additionalProperties: false },
);
export type NotifyPrefs = Static<typeof NotifyPrefsT>;

export const DEFAULT_PREFS: NotifyPrefs = {
  streams: [],
  labels: [],
  zones: [],
  severities: ['alert'],
  cooldown_s: 60,
  quiet: null,
  snoozed_until: null,
};

const overlaps = (want: string[], have: string[]) => want.length === 0 || have.some((h) => want.includes(h));

/** Does the item, as it is, match the choices (quiet, snooze and cooldown aside)? */
export function matches(item: ReviewItem, p: NotifyPrefs): boolean {
  return (
    (p.streams.length === 0 || p.streams.includes(item.stream)) &&
    p.severities.includes(item.severity) &&
    overlaps(p.labels, item.labels) &&
    overlaps(p.zones, item.zones)
  );
}

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
};

/** Is `localMinute` (0..1439) inside the quiet hours? */
export function isQuiet(quiet: NotifyPrefs['quiet'], localMinute: number): boolean {
  if (!quiet) return false;
  const [from, to] = [minutes(quiet.from), minutes(quiet.to)];
  if (from === to) return false;
  return from < to ? localMinute >= from && localMinute < to : localMinute >= from || localMinute < to;
}

export type Decision = { send: true } | { send: false; why: 'no_match' | 'already' | 'snoozed' | 'quiet' | 'cooldown' };

/**
 * Send this change to the subscription? `lastSent`: when it last got a notification from the item's
 * stream (epoch ms, or null); `localMinute`: the box's local time of day in minutes.
 */
export function decide(
  m: ReviewMessage,
  p: NotifyPrefs,
  now: number,
  localMinute: number,
  lastSent: number | null,
): Decision {
  if (m.type === 'end' || !matches(m.after, p)) return { send: false, why: 'no_match' };
  if (m.type === 'update' && m.before && matches(m.before, p)) return { send: false, why: 'already' };
  if (p.snoozed_until !== null && now < p.snoozed_until) return { send: false, why: 'snoozed' };
  if (isQuiet(p.quiet, localMinute)) return { send: false, why: 'quiet' };
  if (lastSent !== null && now - lastSent < p.cooldown_s * 1000) return { send: false, why: 'cooldown' };
  return { send: true };
}
