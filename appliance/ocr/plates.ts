/**
 * @module What is made of read text: a plate as it is compared (upper case, letters and digits), a
 * reading kept to a character set and checked against a country's pattern, known plates found
 * within N edited characters (Levenshtein), and the best reading of each tracked object over its
 * frames (the most confident, or the most frequent). Pure.
 */

/** A plate as it is compared and stored: upper case, letters and digits only (spaces and dashes go). */
export const plateOf = (text: string) => text.toUpperCase().replace(/[^\p{L}\p{N}]/gu, '');

/** The Levenshtein distance: insertions, deletions and substitutions, each 1. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export interface KnownMatch {
  /** The known plate, as written in the config. */
  plate: string;
  name: string;
  distance: number;
}

/** The known plate nearest a reading, within `fuzzy` edits (ties: the first listed). */
export function knownPlate(text: string, known: Record<string, string>, fuzzy: number): KnownMatch | null {
  const read = plateOf(text);
  if (!read) return null;
  let best: KnownMatch | null = null;
  for (const [plate, name] of Object.entries(known)) {
    const distance = editDistance(read, plateOf(plate));
    if (distance <= fuzzy && (!best || distance < best.distance)) best = { plate, name, distance };
  }
  return best;
}

export interface TextRules {
  /** Only these characters are kept (null: all). */
  charset: string | null;
  /** A reading must match this, once kept to the charset (null: any). */
  pattern: RegExp | null;
  /**
   * Compare as plates (upper case, letters and digits). Without a pattern, a plate has 4 to 10
   * characters with a letter and a digit: a bus's destination or a route number is not one.
   */
  plate: boolean;
}

const PLATE_LIKE = /^(?=.*\p{L})(?=.*\p{N}).{4,10}$/u;

/** A reading as the rules keep it, or null when nothing of it fits. */
export function keepReading(text: string, r: TextRules): string | null {
  let t = r.plate ? plateOf(text) : text.trim();
  if (r.charset) t = [...t].filter((c) => r.charset!.includes(c)).join('');
  if (!t) return null;
  if (r.pattern) return r.pattern.test(t) ? t : null;
  return !r.plate || PLATE_LIKE.test(t) ? t : null;
}

export type BestBy = 'confident' | 'frequent';

interface Tally {
  count: number;
  best: number;
}

/** Readings of each tracked object; its best one, by the highest score or the most readings. */
export class TrackTexts {
  private readonly tracks = new Map<number, Map<string, Tally>>();

  constructor(private readonly by: BestBy) {}

  add(track: number, text: string, score: number): void {
    const m = this.tracks.get(track) ?? new Map<string, Tally>();
    this.tracks.set(track, m);
    const t = m.get(text) ?? { count: 0, best: 0 };
    t.count++;
    t.best = Math.max(t.best, score);
    m.set(text, t);
  }

  /** The best reading so far, with its best score and how often it was read. */
  best(track: number): { text: string; score: number; count: number } | null {
    const m = this.tracks.get(track);
    if (!m) return null;
    let out: { text: string; score: number; count: number } | null = null;
    for (const [text, t] of m) {
      const better =
        !out ||
        (this.by === 'frequent'
          ? t.count > out.count || (t.count === out.count && t.best > out.score)
          : t.best > out.score || (t.best === out.score && t.count > out.count));
      if (better) out = { text, score: t.best, count: t.count };
    }
    return out;
  }

  end(track: number): void {
    this.tracks.delete(track);
  }
}
