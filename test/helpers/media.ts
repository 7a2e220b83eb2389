/**
 * @module Generated test media: an H.264 clip of ffmpeg's testsrc2 pattern at a given size and rate
 * (1080p60 load without a large file in the repo or in shared/).
 */
import { join } from 'node:path';

/** `preset` is x264's (ffmpeg's default, medium, when absent: as a camera's stream is encoded). */
export async function testPatternClip(
  dir: string,
  o: { seconds: number; size?: string; rate?: number; preset?: string },
): Promise<string> {
  const size = o.size ?? '1920x1080';
  const rate = o.rate ?? 60;
  const out = join(dir, `testsrc2-${size}-${rate}-${o.seconds}s.mp4`);
  const args = [
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=${rate}`,
    '-t',
    String(o.seconds),
  ];
  const preset = o.preset ? ['-preset', o.preset] : [];
  const gen = Bun.spawn(['ffmpeg', ...args, '-c:v', 'libx264', ...preset, '-pix_fmt', 'yuv420p', out], {
    stderr: 'pipe',
  });
  if ((await gen.exited) !== 0)
    throw new Error(`ffmpeg could not generate ${out}: ${await new Response(gen.stderr).text()}`);
  return out;
}

/** A video file's duration and first stream's codec as ffprobe reads them; null when it does not read. */
export async function probeVideo(path: string): Promise<{ duration: number; codec: string } | null> {
  const p = Bun.spawn(
    ['ffprobe', '-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', path],
    { stdout: 'pipe', stderr: 'ignore' },
  );
  const out = await new Response(p.stdout).text();
  if ((await p.exited) !== 0) return null;
  const j = JSON.parse(out) as { format?: { duration?: string }; streams?: Array<{ codec_name: string }> };
  const duration = Number(j.format?.duration);
  return Number.isFinite(duration) && j.streams?.[0] ? { duration, codec: j.streams[0].codec_name } : null;
}
