/**
 * @module One stream full-size: its live video (the camera's own H.264 through Media Source Extensions)
 * with the detections of each analysed frame drawn over it; where live video cannot play, its newest
 * analysed frames four times a second, and why. Below, its state and figures.
 */
import { useEffect, useState } from 'preact/hooks';
import { sendJson } from '../api';
import { Overlay } from '../components/overlay';
import { Badge, Card, ErrorLine, Figure } from '../components/ui';
import { LabelAs } from '../components/label-as';
import { usePoll } from '../hooks';
import { useLiveVideo, type VideoState } from '../live-video';
import { Link } from '../router';
import { useSession } from '../session';
import { LiveFrame, type StreamView } from './live';

const say = (v: VideoState) =>
  v.status === 'playing'
    ? 'Live video: the camera’s own picture, boxes from the analysis of each frame'
    : v.status === 'connecting'
      ? `Starting live video…${v.why ? ` (${v.why})` : ''} Meanwhile: the analysed frames.`
      : `Showing the analysed frames: ${v.why}`;

export function StreamLive(p: { id: string }) {
  const { data: s, error } = usePoll<StreamView>(`api/streams/${encodeURIComponent(p.id)}`, 1000);
  // A stream the box does not have: say so, rather than that its video could not start.
  if (!s && (error as { status?: number } | null)?.status === 404)
    return (
      <div class="stream-live">
        <p>
          <Link to="/live">← Live</Link>
        </p>
        <Card title="No such stream">
          <p>
            This box has no stream <code>{p.id}</code>.
          </p>
        </Card>
      </div>
    );
  return <StreamLiveView id={p.id} s={s} />;
}

function StreamLiveView(p: { id: string; s: StreamView | null }) {
  const s = p.s;
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const { state, overlay } = useLiveVideo(p.id, video);
  const playing = state.status === 'playing';
  const [motion, setMotion] = useState(() => localStorage.getItem('fovea.live.motion') === '1');
  const toggle = (on: boolean) => {
    localStorage.setItem('fovea.live.motion', on ? '1' : '0');
    setMotion(on);
  };
  const g = s?.gating ?? null;
  const { can } = useSession();
  const [switched, setSwitched] = useState<{ on: boolean } | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  // What was just asked wins over a poll that left before the answer.
  const detecting = switched?.on ?? s?.detection ?? true;
  useEffect(() => {
    if (switched && s?.detection === switched.on) setSwitched(null);
  }, [s?.detection, switched]);
  const switchDetection = (on: boolean) => {
    setFailed(null);
    setSwitched({ on });
    sendJson(`api/streams/${encodeURIComponent(p.id)}/detection`, 'PUT', { enabled: on }).catch((e: Error) => {
      setSwitched(null);
      setFailed(e.message);
    });
  };
  return (
    <div class="stream-live">
      <p>
        <Link to="/live">← Live</Link>
      </p>
      <div class="frame big" data-video={state.status}>
        <video ref={setVideo} class={playing ? '' : 'waiting'} muted playsInline aria-label={`live video of ${p.id}`} />
        {playing ? (
          overlay && <Overlay data={overlay} motion={motion} />
        ) : (
          <LiveFrame id={p.id} everyMs={250} motion={motion} />
        )}
      </div>
      <p class="muted video-note" role="status">
        {say(state)}
        <label class="motion-toggle">
          <input type="checkbox" checked={motion} onChange={(e) => toggle(e.currentTarget.checked)} />
          Motion and regions
        </label>
      </p>
      {s && (
        <Card
          title={s.id}
          actions={
            <span class="card-actions">
              {!detecting && <Badge state="detection_off" />}
              <Badge state={s.state} title={s.last_error ?? undefined} />
            </span>
          }
        >
          {s.last_error && <p class="why">{s.last_error}</p>}
          {!detecting && (
            <p class="why">
              Detection is off: the stream still shows live and records, and nothing is detected or alerted.
            </p>
          )}
          {can('streams:write') && (
            <p>
              <button type="button" class="detection-toggle" onClick={() => switchDetection(!detecting)}>
                {detecting ? 'Turn detection off' : 'Turn detection on'}
              </button>
            </p>
          )}
          <ErrorLine error={failed} />
          <LabelAs
            fits={(c) => c.kind === 'state' && c.stream === s.id}
            items={() => [{ frame: 'latest' }]}
            action="Label this frame"
          />
          {s.decoder_note && <p class="why">{s.decoder_note}</p>}
          <div class="figures">
            <Figure label="camera fps" value={s.fps_in} />
            <Figure label="analysed fps" value={s.fps_out} />
            <Figure label="frames analysed" value={s.frames_analysed} />
            <Figure label="dropped" value={s.dropped} />
            <Figure label="queue" value={s.queue_depth} />
            <Figure label="restarts" value={s.restarts} />
          </div>
          {g && (
            <fieldset class="figures" aria-label="motion gating">
              <Figure label="frames with motion" value={g.frames_with_motion} />
              <Figure label="detector skipped" value={`${Math.round(g.skipped_share * 100)} %`} />
              <Figure label="detector calls a run" value={g.regions_per_frame ?? '–'} />
              <Figure label="stationary objects" value={g.stationary} />
            </fieldset>
          )}
          <p class="muted">
            pipeline <Link to={`/streams/${encodeURIComponent(s.id)}`}>{s.pipeline}</Link> · {s.url} ·{' '}
            <Link to={`/recordings/${encodeURIComponent(s.id)}`}>recordings</Link>
          </p>
        </Card>
      )}
    </div>
  );
}
