import { describe, expect, test } from 'bun:test';
import {
  type Candidate,
  type ImportTarget,
  importPhotos,
  progressLine,
  Refused,
  summary,
  type Tally,
} from '../../appliance/images/import';

/** Files whose content is their name; the target keeps what it was given. */
function fakes(have: string[] = [], refuse: Record<string, string> = {}, failAt: string | null = null) {
  const stored: string[] = [];
  const asked: string[][] = [];
  const text = (d: Uint8Array) => new TextDecoder().decode(d);
  const io = {
    read: async (path: string) => new TextEncoder().encode(path.replace(/^.*\//, '').replace(/-copy/, '')),
    sha256: async (path: string) => `h:${path.replace(/^.*\//, '').replace(/-copy/, '')}`,
  };
  const target: ImportTarget = {
    known: async (hashes) => {
      asked.push(hashes);
      return new Set(hashes.filter((h) => have.includes(h.slice(2))));
    },
    put: async ({ data }) => {
      const name = text(data);
      if (name === failAt) throw new Error('the box went away');
      if (refuse[name]) throw new Refused(refuse[name]!, `no ${name}`);
      stored.push(name);
    },
  };
  return { io, target, stored, asked };
}

const files = (...names: string[]): Candidate[] => names.map((n) => ({ path: `/p/${n}`, name: n, size: 10 }));

describe('importPhotos', () => {
  test('what the owner has is skipped, a file twice is stored once, refusals are counted with why and the rest goes on', async () => {
    const f = fakes(['b'], { c: 'unsupported_media_type' });
    const big = { path: '/p/huge', name: 'huge', size: 1e9 };
    const t = await importPhotos([...files('a', 'b', 'c', 'd', 'a-copy'), big], f.io, f.target, {
      jobs: 3,
      maxBytes: 1e6,
      chunk: 2,
    });
    expect({
      stored: f.stored.sort(),
      asked: f.asked,
      tally: { ...t, refused: t.refused.map((r) => `${r.name} ${r.code}`) },
    }).toEqual({
      stored: ['a', 'd'],
      asked: [['h:a', 'h:b'], ['h:c', 'h:d'], ['h:a']],
      tally: {
        total: 6,
        imported: 2,
        skipped: { known: 1, duplicate: 1 },
        refused: ['c unsupported_media_type', 'huge payload_too_large'],
        bytes: 2,
      },
    });
  });

  test('a target that fails otherwise stops the import; what was stored stays stored', async () => {
    const f = fakes([], {}, 'c');
    const err = await importPhotos(files('a', 'b', 'c', 'd', 'e'), f.io, f.target, { jobs: 1, maxBytes: 1e6 }).catch(
      (e: Error) => e.message,
    );
    expect([err, f.stored]).toEqual(['the box went away', ['a', 'b']]);
  });
});

describe('what the import prints', () => {
  const t: Tally = {
    total: 200,
    imported: 90,
    skipped: { known: 8, duplicate: 2 },
    refused: [
      { name: 'x/anim.png', code: 'unsupported_media_type', message: 'the file is not a JPEG, PNG or WebP image' },
    ],
    bytes: 31_400_000,
  };
  test('a progress bar that fits the terminal, with the rate and time left', () => {
    expect(progressLine(t, 10, 120)).toBe(
      '[###############---------------] 50% 101/200 · 90 imported · 10 skipped · 1 refused · 9.0/s · 11 s left',
    );
    expect(progressLine(t, 10, 60).length).toBeLessThan(60);
    expect(progressLine({ ...t, total: 0, imported: 0, skipped: { known: 0, duplicate: 0 }, refused: [] }, 0, 80)).toBe(
      '[#######################] 100% 0/0 · 0 imported · 0 skipped · 0 refused · 0.0/s',
    );
  });
  test('a summary: counts, why skipped, rate, then each refused file', () => {
    expect(summary(t, 125, 3).split('\n')).toEqual([
      'imported 90 (31.4 MB), skipped 10 (8 already in the library, 2 twice in this import), refused 1, in 2 min 5 s: 0.7 photos/s',
      'ignored 3 files in the folders that are not JPEG, PNG or WebP by their name',
      'refused:',
      '  x/anim.png: unsupported_media_type: the file is not a JPEG, PNG or WebP image',
    ]);
  });
});
