/**
 * @module A stream's shadow pipeline beside its live one (Streams page): both pipelines and
 * revisions, frames compared and shed, what it costs, classes on each side, how many boxes agree,
 * and the events it would gain or lose, in total and per window. Promoting it is a change in the
 * fleet repo: the panel says which pipeline to make live.
 */
import { Card, Figure, when } from '../components/ui';
import { usePoll } from '../hooks';
import type { ShadowReport } from '../../../contracts/shadow';

const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 1000) / 10} %`);
const rev = (r: string | null) => (r ? `revision ${r.slice(0, 12)}` : 'local config');
/** A stream without a shadow answers 404: no panel, not an error. */
const NOT_FOUND: readonly number[] = [404];

/** Rows of a live-vs-shadow table: every key of either side, with the difference. */
function Versus(p: { caption: string; live: Record<string, number>; shadow: Record<string, number> }) {
  const keys = [...new Set([...Object.keys(p.live), ...Object.keys(p.shadow)])].sort();
  return (
    <table class="classes versus" data-table={p.caption}>
      <caption>{p.caption}</caption>
      <thead>
        <tr>
          <th />
          <th class="num">live</th>
          <th class="num">shadow</th>
          <th class="num">change</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => {
          const d = (p.shadow[k] ?? 0) - (p.live[k] ?? 0);
          return (
            <tr key={k} data-key={k}>
              <td>{k}</td>
              <td class="num">{p.live[k] ?? 0}</td>
              <td class="num">{p.shadow[k] ?? 0}</td>
              <td class={`num ${d > 0 ? 'gain' : d < 0 ? 'loss' : ''}`}>{d > 0 ? `+${d}` : d}</td>
            </tr>
          );
        })}
        {keys.length === 0 && (
          <tr>
            <td colSpan={4} class="muted">
              none yet
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

const sumOf = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

export function ShadowPanel(p: { stream: string }) {
  const { data: r } = usePoll<ShadowReport | { error: unknown }>(
    `api/shadow/${encodeURIComponent(p.stream)}`,
    3000,
    NOT_FOUND,
  );
  if (!r || !('total' in r)) return null;
  const t = r.total;
  const overrides = Object.entries(r.shadow.overrides)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return (
    <Card title={`Shadow: ${r.shadow.pipeline}${overrides ? ` (${overrides})` : ''}`}>
      <section class="shadow" aria-label="Shadow pipeline">
        <p class="muted">
          Beside the live <strong>{r.live.pipeline}</strong> ({rev(r.live.revision)}), on{' '}
          {r.sample >= 1 ? 'every frame' : `${Math.round(r.sample * 100)} % of the time, ${r.segment_s} s at a time`},
          since {when(r.since)}; the shadow is from {rev(r.shadow.revision)}. Its results are stored apart and never
          published. To promote it, make <code>{r.shadow.pipeline}</code> the stream's pipeline in the fleet repo.
        </p>
        <div class="figures">
          <Figure label="frames compared" value={t.frames} />
          <Figure label="shed" value={r.frames.shed} />
          <Figure label="boxes that agree" value={pct(t.boxes.agreement)} />
          <Figure label="mean IoU" value={t.boxes.mean_iou ?? '—'} />
          <Figure label="events live → shadow" value={`${sumOf(t.events.live)} → ${sumOf(t.events.shadow)}`} />
          <Figure
            label="ms a frame, live / shadow"
            value={`${t.ms_per_frame.live ?? '—'} / ${t.ms_per_frame.shadow ?? '—'}`}
          />
          <Figure label="costs live fps" value={r.cost.live_fps_equivalent ?? '—'} />
        </div>
        <div class="versus-pair">
          <Versus caption="Detections per class" live={t.detections.live} shadow={t.detections.shadow} />
          <Versus caption="Events by type and class" live={t.events.live} shadow={t.events.shadow} />
        </div>
        <table class="classes windows" aria-label="Windows">
          <caption>Windows of {r.window_s} s, newest first</caption>
          <thead>
            <tr>
              <th>from</th>
              <th class="num">frames</th>
              <th class="num">boxes agree</th>
              <th>events gained</th>
              <th>events lost</th>
            </tr>
          </thead>
          <tbody>
            {[r.current, ...r.windows].map((w) => (
              <tr key={w.start} data-window={w.start}>
                <td>{when(w.start)}</td>
                <td class="num">{w.frames}</td>
                <td class="num">{pct(w.boxes.agreement)}</td>
                <td>
                  {Object.entries(w.events.gained)
                    .map(([k, n]) => `+${n} ${k}`)
                    .join(', ') || '—'}
                </td>
                <td>
                  {Object.entries(w.events.lost)
                    .map(([k, n]) => `−${n} ${k}`)
                    .join(', ') || '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Card>
  );
}
