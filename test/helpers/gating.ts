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
