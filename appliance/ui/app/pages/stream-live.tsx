/** @module One stream full-size: its newest analysed frames as they come, with overlays and its figures. */
import { Badge, Card, Figure } from '../components/ui';
import { usePoll } from '../hooks';
import { Link } from '../router';
import { LiveFrame, type StreamView } from './live';

export function StreamLive(p: { id: string }) {
  const { data: s } = usePoll<StreamView>(`api/streams/${encodeURIComponent(p.id)}`, 1000);
  return (
    <div class="stream-live">
      <p>
        <Link to="/live">← Live</Link>
      </p>
      <div class="frame big">
        <LiveFrame id={p.id} everyMs={250} />
      </div>
      {s && (
        <Card title={s.id} actions={<Badge state={s.state} title={s.last_error ?? undefined} />}>
          {s.last_error && <p class="why">{s.last_error}</p>}
          <div class="figures">
            <Figure label="camera fps" value={s.fps_in} />
            <Figure label="analysed fps" value={s.fps_out} />
            <Figure label="frames analysed" value={s.frames_analysed} />
            <Figure label="dropped" value={s.dropped} />
            <Figure label="queue" value={s.queue_depth} />
            <Figure label="restarts" value={s.restarts} />
          </div>
          <p class="muted">
            pipeline <Link to={`/streams/${encodeURIComponent(s.id)}`}>{s.pipeline}</Link> · {s.url}
          </p>
        </Card>
      )}
    </div>
  );
}
