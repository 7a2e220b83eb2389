/**
 * @module Just enough of fragmented MP4 (ISO/IEC 14496-12) to relay ffmpeg's live remux to browsers:
 * cut the byte stream into top-level boxes, read the codec string a browser's Media Source needs
 * from the init segment (`avc1.PPCCLL` from the avcC record), and tell whether a fragment starts on
 * a keyframe (where a viewer who joins late can begin). Pure: tested with ffmpeg's own output.
 */

export interface Box {
  type: string;
  /** The whole box, header included. */
  bytes: Uint8Array;
}

const typeAt = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0);

/** The size of the box starting at `at`, or null while its header is incomplete. */
function sizeAt(b: Uint8Array, at: number, end: number): number | null {
  if (end - at < 8) return null;
  const size = u32(b, at);
  if (size === 1) {
    if (end - at < 16) return null;
    const hi = u32(b, at + 8);
    const lo = u32(b, at + 12);
    return hi * 2 ** 32 + lo;
  }
  if (size < 8) throw new Error(`malformed MP4 box '${typeAt(b, at + 4)}' of size ${size}`);
  return size;
}

/** Cuts a byte stream (arbitrary chunks from a pipe) into whole top-level boxes. */
export class BoxSplitter {
  private buf = new Uint8Array(0);

  push(chunk: Uint8Array): Box[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const out: Box[] = [];
    let at = 0;
    for (;;) {
      const size = sizeAt(joined, at, joined.length);
      if (size === null || at + size > joined.length) break;
      out.push({ type: typeAt(joined, at + 4), bytes: joined.slice(at, at + size) });
      at += size;
    }
    this.buf = joined.slice(at);
    return out;
  }
}

/** The child boxes of a box's payload between `from` and `to` (offsets in `b`). */
function* children(b: Uint8Array, from: number, to: number): Generator<{ type: string; body: number; end: number }> {
  let at = from;
  while (at + 8 <= to) {
    const size = sizeAt(b, at, to);
    if (size === null || at + size > to) return;
    yield { type: typeAt(b, at + 4), body: at + (u32(b, at) === 1 ? 16 : 8), end: at + size };
    at += size;
  }
}

function find(b: Uint8Array, from: number, to: number, type: string) {
  for (const c of children(b, from, to)) if (c.type === type) return c;
  return null;
}

/** Follow a path of box types down from a range; null when a step is missing. */
function path(b: Uint8Array, from: number, to: number, types: string[]) {
  let range: { body: number; end: number } | null = { body: from, end: to };
  for (const t of types) {
    range = find(b, range.body, range.end, t);
    if (!range) return null;
  }
  return range;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

export interface InitInfo {
  /** The sample entry's four-character code (avc1, avc3, hvc1, …). */
  format: string;
  /** The RFC 6381 codec string for H.264, e.g. avc1.4d401f; null for any other codec. */
  codec: string | null;
  width: number;
  height: number;
  /** trex default sample flags (for fragments that state none of their own). */
  defaultSampleFlags: number;
}

/** What a browser needs to know of the video track in a moov box. */
export function readInit(moov: Uint8Array): InitInfo {
  const b = moov;
  const root = { body: 8, end: b.length };
  let entry: { type: string; body: number; end: number } | null = null;
  for (const trak of children(b, root.body, root.end)) {
    if (trak.type !== 'trak') continue;
    const hdlr = path(b, trak.body, trak.end, ['mdia', 'hdlr']);
    if (!hdlr || typeAt(b, hdlr.body + 8) !== 'vide') continue;
    const stsd = path(b, trak.body, trak.end, ['mdia', 'minf', 'stbl', 'stsd']);
    // stsd: version/flags (4) and entry count (4), then the sample entries.
    if (stsd) entry = children(b, stsd.body + 8, stsd.end).next().value ?? null;
    break;
  }
  if (!entry) throw new Error('the MP4 init segment has no video track');
  // A visual sample entry: 6 reserved, data reference index (2), 16 predefined/reserved, width, height, …
  const width = (b[entry.body + 24]! << 8) | b[entry.body + 25]!;
  const height = (b[entry.body + 26]! << 8) | b[entry.body + 27]!;
  let codec: string | null = null;
  if (entry.type === 'avc1' || entry.type === 'avc3') {
    // 78 bytes of visual sample entry fields, then child boxes; avcC holds profile, compatibility, level.
    const avcC = find(b, entry.body + 78, entry.end, 'avcC');
    if (avcC) codec = `${entry.type}.${hex2(b[avcC.body + 1]!)}${hex2(b[avcC.body + 2]!)}${hex2(b[avcC.body + 3]!)}`;
  }
  const trex = path(b, root.body, root.end, ['mvex', 'trex']);
  // trex: version/flags, track id, default description index, duration, size, then flags.
  const defaultSampleFlags = trex ? u32(b, trex.body + 20) : 0;
  return { format: entry.type, codec, width, height, defaultSampleFlags };
}

const NON_SYNC = 0x10000;

/**
 * Whether a moof's first sample is a sync sample (a keyframe): from the trun's first-sample flags,
 * else its first per-sample flags, else the tfhd default, else the trex default.
 */
export function startsWithKeyframe(moof: Uint8Array, trexDefault: number): boolean {
  const b = moof;
  const traf = path(b, 8, b.length, ['traf']);
  if (!traf) return false;
  let flags = trexDefault;
  const tfhd = find(b, traf.body, traf.end, 'tfhd');
  if (tfhd) {
    const f = u32(b, tfhd.body) & 0xffffff;
    // After version/flags (4) and track id (4): base offset (8), description index (4), duration (4), size (4).
    let at = tfhd.body + 8;
    if (f & 0x1) at += 8;
    if (f & 0x2) at += 4;
    if (f & 0x8) at += 4;
    if (f & 0x10) at += 4;
    if (f & 0x20) flags = u32(b, at);
  }
  const trun = find(b, traf.body, traf.end, 'trun');
  if (trun) {
    const f = u32(b, trun.body) & 0xffffff;
    // After version/flags (4) and sample count (4): data offset (4), first sample flags (4), then samples.
    let at = trun.body + 8;
    if (f & 0x1) at += 4;
    if (f & 0x4) flags = u32(b, at);
    else if (f & 0x400) {
      // The first sample's record: duration (4) and size (4) when present, then its flags.
      const skip = (f & 0x100 ? 4 : 0) + (f & 0x200 ? 4 : 0);
      flags = u32(b, at + skip);
    }
  }
  return (flags & NON_SYNC) === 0;
}

export type Piece =
  | { kind: 'init'; bytes: Uint8Array; info: InitInfo }
  | { kind: 'fragment'; bytes: Uint8Array; key: boolean };

/**
 * Groups a fragmented MP4's top-level boxes into what a viewer is sent: the init segment (ftyp and
 * moov, once) and then fragments (a moof with its mdat, and any box between them).
 */
export class FragmentAssembler {
  private pending: Uint8Array[] = [];
  private info: InitInfo | null = null;
  private key = false;

  push(box: Box): Piece | null {
    this.pending.push(box.bytes);
    if (box.type === 'moov') {
      this.info = readInit(box.bytes);
      return { kind: 'init', bytes: this.take(), info: this.info };
    }
    if (!this.info) return null;
    if (box.type === 'moof') this.key = startsWithKeyframe(box.bytes, this.info.defaultSampleFlags);
    if (box.type !== 'mdat') return null;
    return { kind: 'fragment', bytes: this.take(), key: this.key };
  }

  private take(): Uint8Array {
    const n = this.pending.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of this.pending) {
      out.set(p, at);
      at += p.length;
    }
    this.pending = [];
    return out;
  }
}

/** The MIME type a browser's MediaSource.isTypeSupported is asked about. */
export const mimeOf = (info: InitInfo) => `video/mp4; codecs="${info.codec}"`;
