/**
 * @module A time-series chart (uPlot, loaded when first drawn): the chosen metric on the left axis,
 * each selected class's abundance on the right. Times are the box's local days and hours, shown as
 * they are (not moved to the browser's time zone). The time axis spans the range asked (uPlot's own
 * guess around a single day's point spans years); the readout follows the nearest point.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';

export interface Line {
  label: string;
  values: Array<number | null>;
  /** 'metric': left axis, thick; 'count': right axis. */
  scale: 'metric' | 'count';
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

/** Seconds of a local day or hour as the chart's x values (read as UTC, never moved). */
const secondsOf = (t: string) => Date.parse(t.length === 10 ? `${t}T00:00:00Z` : `${t}:00Z`) / 1000;

export function SeriesChart(p: {
  times: string[];
  lines: Line[];
  label: string;
  /** The days asked for: the axis spans them whole (the last one to its end). */
  range?: { from: string; to: string; interval: string } | null;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !p.times.length) return;
    let plot: uPlot | null = null;
    let observer: ResizeObserver | null = null;
    let live = true;
    const resize = () => {
      if (plot && plot.width !== el.clientWidth) plot.setSize({ width: el.clientWidth, height: 280 });
    };
    import('uplot')
      .then(({ default: UPlot }) => {
        if (!live) return;
        const xs = p.times.map(secondsOf);
        const span: [number, number] | null = p.range
          ? [
              secondsOf(p.range.from.slice(0, 10)),
              secondsOf(p.range.to.slice(0, 10)) + 86_400 - (p.range.interval === 'hour' ? 3600 : 0),
            ]
          : null;
        const metricColour = getComputedStyle(el).getPropertyValue('--text').trim() || '#111';
        plot = new UPlot(
          {
            width: el.clientWidth,
            height: 280,
            tzDate: (ts) => UPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
            scales: {
              x: { time: true, ...(span && { range: (): [number, number] => span }) },
              metric: {},
              count: {},
            },
            // What the axis spans, for a reader (and the browser test): seconds, as drawn.
            hooks: {
              setScale: [
                (u, key) => {
                  if (key !== 'x') return;
                  el.dataset.xMin = String(u.scales.x!.min);
                  el.dataset.xMax = String(u.scales.x!.max);
                },
              ],
            },
            // The readout shows each line's nearest point with a value, not a gap's "--".
            cursor: {
              dataIdx: (u, si, i) => {
                const ys = u.data[si] as Array<number | null | undefined>;
                for (let d = 0; d < ys.length; d++) {
                  if (ys[i - d] != null) return i - d;
                  if (ys[i + d] != null) return i + d;
                }
                return i;
              },
            },
            series: [
              {},
              ...p.lines.map((l, i) => ({
                label: l.label,
                scale: l.scale,
                stroke: l.scale === 'metric' ? metricColour : PALETTE[i % PALETTE.length],
                width: l.scale === 'metric' ? 2.5 : 1.5,
                spanGaps: false,
                points: { show: p.times.length < 60 },
              })),
            ],
            axes: [
              { stroke: metricColour },
              { scale: 'metric', stroke: metricColour },
              { scale: 'count', side: 1, stroke: metricColour, grid: { show: false } },
            ],
          },
          [xs, ...p.lines.map((l) => l.values)] as uPlot.AlignedData,
          el,
        );
        // The chart follows its box, not only the window: a box that narrows as the page settles
        // (or a phone turned) gets a narrower chart, never a page wider than the screen.
        observer = new ResizeObserver(resize);
        observer.observe(el);
      })
      .catch((e: Error) => setError(`the chart could not load: ${e.message}`));
    return () => {
      live = false;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [p.times, p.lines, p.range?.from, p.range?.to]);
  if (!p.times.length) return <p class="muted">No data in this range.</p>;
  return (
    <figure class="series-chart" aria-label={p.label}>
      <div ref={box} />
      {error && <p class="error">{error}</p>}
    </figure>
  );
}
