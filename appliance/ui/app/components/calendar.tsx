/** @module A year calendar heatmap of one metric: a cell per day, darker for more, blank for no data. */
import { calendarCells, step } from '../charts/layout';
import { Link } from '../router';

const CELL = 13;
const GAP = 3;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Mon', '', 'Wed', '', 'Fri', '', ''];

export function Calendar(p: {
  from: string;
  to: string;
  values: Map<string, number | null>;
  label: string;
  format: (v: number | null) => string;
  /** Where a day with data links to (its detail). */
  linkOf?: (day: string) => string;
  /** The day picked, outlined. */
  picked?: string;
}) {
  const cells = calendarCells(p.from, p.to);
  const shown = [...p.values.values()].filter((v): v is number => v !== null);
  const min = shown.length ? Math.min(...shown) : 0;
  const max = shown.length ? Math.max(...shown) : 0;
  const cols = (cells.at(-1)?.col ?? 0) + 1;
  const left = 30;
  const top = 16;
  const months = cells.filter((c) => c.day.endsWith('-01') || c === cells[0]);
  return (
    <figure class="calendar">
      <svg
        viewBox={`0 0 ${left + cols * (CELL + GAP)} ${top + 7 * (CELL + GAP)}`}
        role="img"
        aria-label={`${p.label} per day, ${p.from} to ${p.to}: ${shown.length} days with data`}
      >
        {months.map((c) => (
          <text key={c.day} x={left + c.col * (CELL + GAP)} y={11} class="cal-label">
            {MONTHS[Number(c.day.slice(5, 7)) - 1]}
          </text>
        ))}
        {WEEKDAYS.map((w, i) =>
          w ? (
            <text key={w} x={0} y={top + i * (CELL + GAP) + CELL - 2} class="cal-label">
              {w}
            </text>
          ) : null,
        )}
        {cells.map((c) => {
          const has = p.values.has(c.day);
          const v = p.values.get(c.day) ?? null;
          const cell = (
            <rect
              key={c.day}
              x={left + c.col * (CELL + GAP)}
              y={top + c.row * (CELL + GAP)}
              width={CELL}
              height={CELL}
              rx={2}
              class={`cal-cell s${has ? step(v, min, max) : 'none'}${c.day === p.picked ? ' picked' : ''}`}
              aria-current={c.day === p.picked ? 'date' : undefined}
              data-day={c.day}
              data-value={has ? String(v) : undefined}
            >
              <title>{`${c.day}: ${has ? p.format(v) : 'no data'}`}</title>
            </rect>
          );
          return has && p.linkOf ? (
            <Link key={c.day} to={p.linkOf(c.day)}>
              {cell}
            </Link>
          ) : (
            cell
          );
        })}
      </svg>
      <figcaption class="cal-legend">
        <span>{shown.length ? p.format(min) : ''}</span>
        {[1, 2, 3, 4, 5].map((s) => (
          <i key={s} class={`cal-cell s${s}`} />
        ))}
        <span>{shown.length ? p.format(max) : ''}</span>
        <span class="muted"> · blank: no data · grey: undefined (one class or none)</span>
      </figcaption>
    </figure>
  );
}
