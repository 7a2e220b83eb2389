/**
 * @module Time-ordered ids that also order within a millisecond: a UUIDv7 that is not above the last
 * one made here is replaced by the last plus one, so ids made one after another always increase (a
 * reader can resume after the greatest it has seen). Pure apart from the clock and randomness.
 */

const hexOf = (id: string) => id.replace(/-/g, '');
const uuidOf = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** The UUID one above `id` (its last 62 random bits counted up). */
export function nextUuid(id: string): string {
  return uuidOf((BigInt(`0x${hexOf(id)}`) + 1n).toString(16).padStart(32, '0'));
}

/**
 * A generator of increasing UUIDv7s, above `after` (the greatest id already stored, so a clock set
 * back does not go below it); `make` is the source (Bun.randomUUIDv7 by default).
 */
export function increasingUuids(after = '', make: () => string = () => Bun.randomUUIDv7()): () => string {
  let last = after;
  return () => {
    const id = make();
    last = id > last ? id : nextUuid(last);
    return last;
  };
}
