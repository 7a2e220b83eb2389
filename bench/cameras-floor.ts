/**
 * @module The decode floor of the cameras bench alone: `bun bench/cameras-floor.ts native:17 1080p:8`
 * runs that many bare decoders (the cameras' own ffmpeg arguments) on the bench's camera clips and
 * prints the machine's CPU %, without the appliance. The cameras suite prints the same row for the
 * gated count it finds.
 */
import { tempDir } from '../test/helpers/fixtures';
import { bareDecoders, makeClips, phased } from './cameras';

await using dir = await tempDir('fovea-bench-floor-');
for (const arg of process.argv.slice(2)) {
  const [kind, n] = arg.split(':') as [string, string];
  const clips = await makeClips(dir.path, kind === '1080p' ? '1920:1080' : null, kind === 'sub5' ? 5 : null);
  const cams = await phased(dir.path, clips);
  console.log(`${kind}: ${n} bare decoders, CPU ${await bareDecoders(cams, Number(n))} % of the machine`);
}
