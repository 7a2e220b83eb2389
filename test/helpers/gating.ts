/**
 * @module Motion gating's test and bench parts: a pipeline of the built-in kind with the detector
 * gated or not, and the lines of `fovea fleet validate --golden`'s report read back (a clip's event
 * counts and its gating figures).
 */

export interface GoldenLine {
  file: string;
  ok: boolean;
  counts: Record<string, number>;
  skipped: number | null;
  regions: number | null;
}

/** One clip's line of the report: `golden/x.yaml: ok, N frames in T s: 7 enter bottle, …; gating: …`. */
export function parseGoldenReport(out: string): Record<string, GoldenLine> {
  const lines: Record<string, GoldenLine> = {};
  for (const l of out.split('\n')) {
    const m = /^golden\/(\S+)\.yaml: (ok|FAILED), \d+ frames in [\d.]+ s: ([^;]*)(?:; gating: (.*))?$/.exec(l);
    if (!m) continue;
    const counts: Record<string, number> = {};
    for (const part of m[3]!.split(', ')) {
      const c = /^(\d+) (\w+) (.+)$/.exec(part);
      if (c) counts[`${c[2]} ${c[3]}`] = Number(c[1]);
    }
    const g = m[4] ? /skipped (\d+) % of frames, ran on regions on (\d+)/.exec(m[4]) : null;
    lines[m[1]!] = {
      file: m[1]!,
      ok: m[2] === 'ok',
      counts,
      skipped: g ? Number(g[1]) : null,
      regions: g ? Number(g[2]) : null,
    };
  }
  return lines;
}

/** A built-in pipeline (people with classes, else objects), with the detector gated on motion or not, and a decode size. */
export function gatingPipeline(o: { classes?: string[]; gated: boolean; decode?: [number, number] }): string {
  const detect = [
    '      model: yolox-nano@1',
    '      score: 0.3',
    ...(o.classes ? [`      classes: [${o.classes.join(', ')}]`] : []),
    ...(o.gated ? ['      motion: motion'] : []),
    ...(o.decode ? [`      decode_size: [${o.decode.join(', ')}]`] : []),
  ];
  return [
    'input:\n  fps: 5\nstages:\n  motion:\n    type: motion@1\n  detect:\n    type: detect@1\n    needs: [motion]\n    options:',
    ...detect,
    o.classes
      ? '  track:\n    type: track@1\n    needs: [detect]\n    options:\n      high_score: 0.45\n      min_hits: 3\n      max_age: 10'
      : '  track:\n    type: track@1\n    needs: [detect]',
    '  events:\n    type: event@1\n    needs: [track]\n    options:\n      snapshots: false\n      zones:\n        - name: scene\n          polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]',
    '',
  ].join('\n');
}

/** H.264 the tests and benches make quickly: a keyframe a second or so. */
export const QUICK_H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p'];

/** ffmpeg, quiet; its error output is the exception's message. */
export async function ffmpeg(args: string[]): Promise<void> {
  const p = Bun.spawn(['ffmpeg', '-v', 'error', '-y', ...args], { stderr: 'pipe' });
  if ((await p.exited) !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${await new Response(p.stderr).text()}`);
}

/**
 * A camera that is idle most of the time: the person video's empty first five seconds `repeats`
 * times over, then twenty seconds of people (from 6 s on). `filters` after it (`,scale=…`), and
 * output options (`-r 5`).
 */
export async function idleThenPeople(
  video: string,
  out: string,
  repeats: number,
  filters = '',
  options: string[] = [],
): Promise<void> {
  const idle = [...Array(repeats).keys()];
  const graph = `[0:v]split=${repeats + 1}${[...idle, repeats].map((i) => `[s${i}]`).join('')};${idle
    .map((i) => `[s${i}]trim=0:5,setpts=PTS-STARTPTS[i${i}]`)
    .join(
      ';',
    )};[s${repeats}]trim=6:26,setpts=PTS-STARTPTS[busy];${idle.map((i) => `[i${i}]`).join('')}[busy]concat=n=${repeats + 1}:v=1:a=0${filters}[v]`;
  await ffmpeg(['-i', video, '-filter_complex', graph, '-map', '[v]', ...QUICK_H264, ...options, out]);
}
