import { describe, expect, test } from 'bun:test';
import { textBoxes, DB_DEFAULTS } from '../../appliance/ocr/db';
import { ctcGreedy } from '../../appliance/ocr/ctc';
import { editDistance, keepReading, knownPlate, plateOf, TrackTexts } from '../../appliance/ocr/plates';
import { LABELS } from '../../appliance/pipeline/models';

/** A w x h map with rectangles of the given probability. */
function map(w: number, h: number, rects: Array<[number, number, number, number, number]>) {
  const m = new Float32Array(w * h);
  for (const [x1, y1, x2, y2, p] of rects) for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) m[y * w + x] = p;
  return m;
}

describe('DB text boxes', () => {
  test('each region above the threshold is a box, grown by area × 1.5 / perimeter, in reading order', () => {
    const boxes = textBoxes(
      map(100, 60, [
        [50, 10, 90, 20, 0.9],
        [10, 12, 40, 20, 0.8],
        [10, 40, 30, 50, 0.7],
      ]),
      100,
      60,
    );
    // 40 x 10: d = 400 * 1.5 / 100 = 6; 30 x 8: d = 240 * 1.5 / 76 ≈ 4.74; 20 x 10: d = 5.
    expect(boxes.map((b) => [b.box.map((v) => Math.round(v * 100) / 100), Math.round(b.score * 100) / 100])).toEqual([
      [[5.26, 7.26, 44.74, 24.74], 0.8],
      [[44, 4, 96, 26], 0.9],
      [[5, 35, 35, 55], 0.7],
    ]);
  });

  test('a weak region, a thin one and one touching nothing above the threshold are dropped; 8-neighbours join', () => {
    const m = map(60, 40, [
      [5, 5, 25, 15, 0.5],
      [30, 5, 55, 6, 0.9],
      [5, 25, 10, 30, 0.9],
      [10, 30, 15, 35, 0.9],
    ]);
    const boxes = textBoxes(m, 60, 40, { ...DB_DEFAULTS, thresh: 0.3, boxThresh: 0.6 });
    // The two diagonal squares are one region; its box is half empty, so it scores 0.45: dropped.
    expect(boxes).toEqual([]);
    expect(textBoxes(m, 60, 40, { ...DB_DEFAULTS, boxThresh: 0.4 }).map((b) => Math.round(b.score * 100))).toEqual([
      50, 45,
    ]);
  });
});

describe('CTC decoding', () => {
  const charset = ['A', 'B', '1'];
  /** One step a row: the class with probability p, the rest share what is left. */
  const steps = (rows: Array<[number, number]>) => {
    const out = new Float32Array(rows.length * 5);
    rows.forEach(([c, p], t) => {
      for (let k = 0; k < 5; k++) out[t * 5 + k] = k === c ? p : (1 - p) / 4;
    });
    return out;
  };
  test('repeats merge, blanks split them, the class past the charset is a space; the score is the mean kept', () => {
    const r = ctcGreedy(
      steps([
        [1, 0.9],
        [1, 0.8],
        [0, 0.9],
        [1, 0.7],
        [4, 0.6],
        [3, 1],
        [0, 0.99],
      ]),
      7,
      5,
      charset,
    );
    expect([r.text, Math.round(r.score * 1000) / 1000]).toEqual([
      'AA 1',
      Math.round(((0.9 + 0.7 + 0.6 + 1) / 4) * 1000) / 1000,
    ]);
    expect(ctcGreedy(steps([[0, 1]]), 1, 5, charset)).toEqual({ text: '', score: 0 });
  });

  test("the recogniser's charset: 6623 characters, the ideographic space kept, digits and Latin letters there", () => {
    const keys = LABELS['ppocr-keys-v1']!;
    expect([keys.length, keys.includes('\u3000'), ['0', '9', 'A', 'Z', 'a'].every((c) => keys.includes(c))]).toEqual([
      6623,
      true,
      true,
    ]);
  });
});

describe('plates', () => {
  test('compared as upper-case letters and digits; edits counted; a known plate within fuzzy names it', () => {
    expect([plateOf('na52 buu'), plateOf('5-2227'), editDistance('ALM89B', 'ALH89B'), editDistance('', 'AB')]).toEqual([
      'NA52BUU',
      '52227',
      1,
      2,
    ]);
    const known = { 'ALM 89B': 'the red bus', ABC123: 'our van', ABC124: 'their van' };
    expect([
      knownPlate('ALH89B', known, 1),
      knownPlate('ALH89B', known, 0),
      knownPlate('abc-123', known, 1)?.name,
      knownPlate('ABC12', known, 1)?.name,
      knownPlate('', known, 3),
    ]).toEqual([{ plate: 'ALM 89B', name: 'the red bus', distance: 1 }, null, 'our van', 'our van', null]);
  });

  test('a reading kept to a charset and checked against a pattern', () => {
    const uk = { charset: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', pattern: /^[A-Z]{2}[0-9]{2}[A-Z]{3}$/, plate: true };
    const any = { charset: null, pattern: null, plate: true };
    expect([
      keepReading('NA52 BUU', uk),
      keepReading('Metrocentre', uk),
      keepReading('J.P.Morgan', { ...any, plate: false }),
      // Without a pattern a plate has a letter and a digit, 4 to 10 of them: not a destination or a route.
      [
        keepReading('METROCENTRE', any),
        keepReading('96', any),
        keepReading('ALM 89B', any),
        keepReading('5-2227', any),
      ],
    ]).toEqual(['NA52BUU', null, 'J.P.Morgan', [null, null, 'ALM89B', null]]);
  });

  test("a track's best reading: the most confident, or the most frequent (ties to the more confident)", () => {
    const feed = (t: TrackTexts) => {
      t.add(1, 'NA52BUU', 0.8);
      t.add(1, 'NA52BUU', 0.85);
      t.add(1, 'NA5ZBUU', 0.95);
      t.add(2, 'AB', 0.5);
    };
    const confident = new TrackTexts('confident');
    const frequent = new TrackTexts('frequent');
    feed(confident);
    feed(frequent);
    expect([confident.best(1), frequent.best(1), frequent.best(2)?.text]).toEqual([
      { text: 'NA5ZBUU', score: 0.95, count: 1 },
      { text: 'NA52BUU', score: 0.85, count: 2 },
      'AB',
    ]);
    frequent.end(1);
    expect(frequent.best(1)).toBeNull();
  });
});
