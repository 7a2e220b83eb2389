import { describe, expect, test } from 'bun:test';
import { JpegSplitter, PicturePairing } from '../../appliance/decode/pictures';

const jpeg = (body: number[]) => new Uint8Array([0xff, 0xd8, ...body, 0xff, 0xd9]);

describe('JpegSplitter', () => {
  test('cuts at each end marker, also when chunks split a picture or its marker; stuffed FF00 is data', () => {
    const a = jpeg([1, 0xff, 0x00, 2]);
    const b = jpeg([3, 4, 5]);
    const stream = new Uint8Array([...a, ...b]);
    for (const cut of [1, 5, a.length - 1, a.length, a.length + 2]) {
      const s = new JpegSplitter();
      const got = [...s.push(stream.subarray(0, cut)), ...s.push(stream.subarray(cut))];
      expect(got.map((x) => [...x])).toEqual([[...a], [...b]]);
    }
  });
});

describe('PicturePairing', () => {
  test('the n-th picture goes to the n-th frame, whichever comes first; the end resolves the rest with null', async () => {
    const p = new PicturePairing(4);
    const f0 = p.claim(0);
    p.arrived(jpeg([0]));
    p.arrived(jpeg([1]));
    expect([...(await f0)!]).toEqual([...jpeg([0])]);
    expect([...(await p.claim(1))!]).toEqual([...jpeg([1])]);
    const f2 = p.claim(2);
    p.end();
    expect(await f2).toBeNull();
  });

  test('unclaimed pictures are bounded: the oldest are dropped', async () => {
    const p = new PicturePairing(2);
    for (let i = 0; i < 5; i++) p.arrived(jpeg([i]));
    expect([...(await p.claim(4))!]).toEqual([...jpeg([4])]);
    const early = p.claim(0);
    p.end();
    expect(await early).toBeNull();
  });
});
