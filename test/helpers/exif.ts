/** @module EXIF for tests: photos with the tags a camera writes (written by Debian's exiftool), and exiftool's own reading. */
import { expect } from 'bun:test';
import { join } from 'node:path';
import { COCO } from './fixtures';

// biome-ignore lint/suspicious/noExplicitAny: exiftool's answer is read field by field
type Json = Record<string, any>;

/** exiftool's own reading of a file (numbers as numbers), for the fields the library keeps. */
export async function exiftool(path: string): Promise<Json> {
  const p = Bun.spawn(['exiftool', '-n', '-j', '-G0', '-a', path], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return (JSON.parse(out) as Json[])[0]!;
}

/** A COCO photo with the EXIF a camera writes, location included (written by exiftool). */
export async function cameraPhoto(dir: string, name: string, source: string): Promise<string> {
  const path = join(dir, name);
  await Bun.write(path, Bun.file(join(COCO, source)));
  const p = Bun.spawn(
    [
      'exiftool',
      '-q',
      '-overwrite_original',
      '-Make=Canon',
      '-Model=EOS 5D Mark IV',
      '-LensModel=EF24-70mm f/2.8L II USM',
      '-ExposureTime=1/125',
      '-FNumber=2.8',
      '-FocalLength=50',
      '-ISO=400',
      '-DateTimeOriginal=2026:05:04 10:11:12',
      '-OffsetTimeOriginal=+02:00',
      '-Orientation#=6',
      '-GPSLatitude=52.520008',
      '-GPSLatitudeRef=N',
      '-GPSLongitude=13.404954',
      '-GPSLongitudeRef=E',
      '-GPSAltitude=34.5',
      '-GPSAltitudeRef=0',
      path,
    ],
    { stdout: 'ignore', stderr: 'inherit' },
  );
  expect(await p.exited).toBe(0);
  return path;
}
