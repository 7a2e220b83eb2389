/**
 * @module A pipeline's DAG: stages in columns by depth (a stage sits right of every stage it needs),
 * arrows for the needs, each node coloured by its step state with its counts. Drawn as SVG so it
 * reads the same on a phone and a wall screen.
 */

export interface DagStage {
  name: string;
  type: string;
  needs: string[];
}
export interface StepView {
  status: string;
  counts?: Record<string, number>;
}

const W = 150;
const H = 54;
const GX = 46;
const GY = 18;

/** Each stage's column (its longest chain of needs) and row within the column. */
export function layout(stages: DagStage[]): Map<string, { col: number; row: number }> {
  const depth = new Map<string, number>();
  const of = (name: string, seen = new Set<string>()): number => {
    if (depth.has(name)) return depth.get(name)!;
    if (seen.has(name)) return 0;
    seen.add(name);
    const s = stages.find((x) => x.name === name);
    const d = s?.needs.length ? Math.max(...s.needs.map((n) => of(n, seen) + 1)) : 0;
    depth.set(name, d);
    return d;
  };
  const rows = new Map<number, number>();
  const out = new Map<string, { col: number; row: number }>();
  for (const s of stages) {
    const col = of(s.name);
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    out.set(s.name, { col, row });
  }
  return out;
}

const summary = (v: StepView | undefined) =>
  v?.counts
    ? Object.entries(v.counts)
        .map(([k, n]) => `${n} ${k}`)
        .join(' · ')
    : '';

/** "3/4": items past this step (succeeded, failed or skipped) of all items. */
const done = (c: Record<string, number>) => {
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  return `${(c.succeeded ?? 0) + (c.failed ?? 0) + (c.skipped ?? 0)}/${total}`;
};

export function Dag(p: { stages: DagStage[]; steps: Record<string, StepView> }) {
  const pos = layout(p.stages);
  const cols = Math.max(1, ...[...pos.values()].map((v) => v.col + 1));
  const rows = Math.max(1, ...[...pos.values()].map((v) => v.row + 1));
  const xy = (name: string) => {
    const v = pos.get(name)!;
    return { x: v.col * (W + GX), y: v.row * (H + GY) };
  };
  const vw = cols * (W + GX) - GX + 4;
  const vh = rows * (H + GY) - GY + 4;
  return (
    <svg
      class="dag"
      width={vw}
      height={vh}
      viewBox={`-2 -2 ${vw} ${vh}`}
      role="img"
      aria-label="Pipeline steps and their state"
    >
      {p.stages.flatMap((s) =>
        s.needs.map((n) => {
          const a = xy(n);
          const b = xy(s.name);
          return (
            <path
              key={`${n}-${s.name}`}
              class="dag-edge"
              d={`M${a.x + W},${a.y + H / 2} C${a.x + W + GX / 2},${a.y + H / 2} ${b.x - GX / 2},${b.y + H / 2} ${b.x},${b.y + H / 2}`}
            />
          );
        }),
      )}
      {p.stages.map((s) => {
        const { x, y } = xy(s.name);
        const v = p.steps[s.name];
        const status = v?.status ?? 'pending';
        return (
          <g
            key={s.name}
            class={`dag-node ${status}`}
            data-step={s.name}
            data-status={status}
            transform={`translate(${x},${y})`}
          >
            <title>{`${s.name} (${s.type}): ${status}${v?.counts ? `, ${summary(v)}` : ''}`}</title>
            <rect width={W} height={H} rx={8} />
            <text x={10} y={20} class="dag-name">
              {s.name}
            </text>
            <text x={10} y={36} class="dag-type">
              {s.type}
            </text>
            <text x={10} y={49} class="dag-state">
              {status.replace(/_/g, ' ')}
              {v?.counts && ` · ${done(v.counts)}`}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
