/** @module A sparkline: one class's abundance per bucket, small enough for a table cell. */
import { sparkPoints } from '../charts/layout';

export function Spark(p: { values: number[]; label: string }) {
  const w = 120;
  const h = 24;
  return (
    <svg class="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={p.label}>
      <polyline points={sparkPoints(p.values, w, h)} />
    </svg>
  );
}
