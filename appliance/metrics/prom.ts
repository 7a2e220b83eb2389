/**
 * @module Prometheus metrics (the only importer of prom-client), all named `fovea_*` with their
 * unit. Events as they happen (HTTP requests, inference runs) are observed into histograms; state
 * that already lives elsewhere (stream counters, outbox, sync queue, fleet revision, file sizes) is
 * read at scrape time from the current runtime, so nothing is counted twice and a runtime restart
 * cannot leave stale series. Per-stream names mirror Frigate's where it has one: camera_fps (frames
 * decoded), process_fps (frames analysed), skipped_fps (decoded but not analysed) and
 * inference speed (here a histogram per model).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StreamView } from '../ingest/stream';
import type { PublisherStatus } from '../publish/mqtt';
import type { ShadowReport } from '../shadow/runner';
import type { FleetStatus } from '../fleet/agent';
import type { GpuSample } from '../gpu/structs';

/** What the scrape reads; every source may be absent (feature off, runtime restarting). */
export interface MetricSources {
  streams(): StreamView[];
  mqtt(): PublisherStatus | null;
  sync(): Promise<{
    state: string;
    pending: number;
    pending_bytes: number;
    oldest_pending_age_s: number | null;
    uploaded: number;
    uploaded_bytes: number;
  } | null>;
  retention(): { state: string } | null;
  fleet(): FleetStatus | null;
  files(): Promise<{ db_bytes: number; objects_bytes: number }>;
  ws(): { clients: number } | null;
  /** The GPUs NVML reports; none without the NVIDIA driver (then no GPU series at all). */
  gpus(): GpuSample[];
  /** The reports of the shadow pipelines running now. */
  shadows(): ShadowReport[];
  /** Web push: pushes sent, failed, gone, and held back by reason (null: web push is off). */
  pushes(): { sent: number; failed: number; gone: number; held: Record<string, number> } | null;
}

const STREAM_STATES = ['connecting', 'running', 'backoff', 'unauthorized', 'failed', 'stopped'] as const;
const FLEET_STATES = [
  'starting',
  'fetching',
  'golden',
  'applying',
  'verifying',
  'rolling_back',
  'idle',
  'offline',
  'error',
] as const;

export class Metrics {
  readonly registry = new Registry();
  private sources: MetricSources | null = null;
  /** The async reads of the scrape in progress, each made once however many gauges use it. */
  private reads = new Map<string, Promise<unknown>>();
  private readonly http: Histogram<'method' | 'route' | 'status'>;
  private readonly inference: Histogram<'model' | 'provider'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'fovea_' });
    // Gauges that prom-client names *_total, against Prometheus naming (promtool check metrics
    // refuses them); Node's handle counts say little under Bun anyway.
    for (const n of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
      this.registry.removeSingleMetric(`fovea_nodejs_${n}`);
    this.http = new Histogram({
      name: 'fovea_http_request_duration_seconds',
      help: 'HTTP requests by route pattern and status, with their latency.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.inference = new Histogram({
      name: 'fovea_inference_duration_seconds',
      help: 'Model run time per inference call, in the inference worker, with the provider the model runs on (Frigate: detector inference speed).',
      labelNames: ['model', 'provider'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28],
      registers,
    });
    this.streamMetrics(registers);
    this.serviceMetrics(registers);
    this.gpuMetrics(registers);
    this.shadowMetrics(registers);
  }

  /** The runtime to read from (again after every in-process restart). */
  bind(sources: MetricSources): void {
    this.sources = sources;
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.http.labels(method, route, String(status)).observe(seconds);
  }

  observeInference(model: string, provider: string, seconds: number): void {
    this.inference.labels(model, provider).observe(seconds);
  }

  async text(): Promise<string> {
    this.reads = new Map();
    return this.registry.metrics();
  }

  /** One read per scrape: the sync status is a database query; five gauges show parts of it. */
  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.reads.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      this.reads.set(key, p);
    }
    return p;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** A gauge whose values are set at scrape time by `read` (reset first: vanished label sets go). */
  private gauge<L extends string>(
    registers: Registry[],
    name: string,
    help: string,
    labelNames: L[],
    read: (g: Gauge<L>, s: MetricSources) => void | Promise<void>,
  ): void {
    const self = this;
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        this.reset();
        if (self.sources) await read(this, self.sources);
      },
    });
  }

  /** A counter mirrored from a total kept elsewhere (it restarts from 0 with its stream, as counters may). */
  private counter<L extends string>(
    registers: Registry[],
    name: string,
    help: string,
    labelNames: L[],
    read: (c: Counter<L>, s: MetricSources) => void,
  ): void {
    const self = this;
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        if (self.sources) read(this, self.sources);
      },
    });
  }

  private streamMetrics(registers: Registry[]): void {
    const total = (name: string, help: string, f: (v: StreamView) => number) =>
      this.counter(registers, name, help, ['stream'], (c, s) => {
        for (const v of s.streams()) c.labels(v.id).inc(f(v));
      });
    const level = (name: string, help: string, f: (v: StreamView) => number) =>
      this.gauge(registers, name, help, ['stream'], (g, s) => {
        for (const v of s.streams()) g.labels(v.id).set(f(v));
      });
    total('fovea_stream_frames_decoded_total', 'Frames the decoder delivered.', (v) => v.frames_decoded);
    total('fovea_stream_frames_analysed_total', 'Frames that went through the pipeline.', (v) => v.frames_analysed);
    total(
      'fovea_stream_frames_dropped_total',
      'Frames dropped by the bounded queue (the pipeline was behind).',
      (v) => v.dropped,
    );
    const gated = (name: string, help: string, f: (g: NonNullable<StreamView['gating']>) => number) =>
      this.counter(registers, name, help, ['stream'], (c, s) => {
        for (const v of s.streams()) if (v.gating) c.labels(v.id).inc(f(v.gating));
      });
    gated(
      'fovea_stream_motion_frames_total',
      'Frames with motion (motion-gated streams).',
      (g) => g.frames_with_motion,
    );
    gated(
      'fovea_stream_detector_skipped_total',
      'Frames that skipped the detector: no motion and no stationary check due.',
      (g) => g.detector_skipped,
    );
    gated(
      'fovea_stream_detector_calls_total',
      'Detector calls on gated frames (each region one call, the whole frame one).',
      (g) => g.detector_calls,
    );
    this.gauge(
      registers,
      'fovea_stream_stationary_objects',
      'Tracked objects that are stationary now.',
      ['stream'],
      (g, s) => {
        for (const v of s.streams()) if (v.gating) g.labels(v.id).set(v.gating.stationary);
      },
    );
    total('fovea_stream_decoder_restarts_total', 'Restarts of the stream decoder (ffmpeg).', (v) => v.restarts);
    level('fovea_stream_camera_fps', 'Frames decoded per second (Frigate: camera_fps).', (v) => v.fps_in);
    level('fovea_stream_process_fps', 'Frames analysed per second (Frigate: process_fps).', (v) => v.fps_out);
    level('fovea_stream_skipped_fps', 'Frames decoded but not analysed, per second (Frigate: skipped_fps).', (v) =>
      Math.max(0, Math.round((v.fps_in - v.fps_out) * 10) / 10),
    );
    level('fovea_stream_queue_depth', 'Frames waiting for the pipeline.', (v) => v.queue_depth);
    level('fovea_stream_detection_enabled', '1 while detection is on, 0 while it is switched off.', (v) =>
      v.detection ? 1 : 0,
    );
    this.gauge(
      registers,
      'fovea_stream_state',
      'The stream state: 1 for the current one.',
      ['stream', 'state'],
      (g, s) => {
        for (const v of s.streams()) for (const st of STREAM_STATES) g.labels(v.id, st).set(v.state === st ? 1 : 0);
      },
    );
  }

  private shadowMetrics(registers: Registry[]): void {
    const each = (s: MetricSources) => this.once('shadows', async () => s.shadows());
    this.counter(
      registers,
      'fovea_shadow_frames_total',
      'Frames offered to a shadow pipeline, by outcome: analysed, shed (its queue full or the live one behind), failed.',
      ['stream', 'shadow', 'outcome'],
      (c, s) => {
        for (const r of s.shadows())
          for (const o of ['analysed', 'shed', 'failed'] as const)
            c.labels(r.stream, r.shadow.pipeline, o).inc(r.frames[o]);
      },
    );
    this.counter(
      registers,
      'fovea_shadow_detections_total',
      'Detections on the frames both pipelines saw, by side (live, shadow) and class.',
      ['stream', 'side', 'label'],
      (c, s) => {
        for (const r of s.shadows())
          for (const side of ['live', 'shadow'] as const)
            for (const [label, n] of Object.entries(r.total.detections[side])) c.labels(r.stream, side, label).inc(n);
      },
    );
    this.counter(
      registers,
      'fovea_shadow_events_total',
      'Events on the frames both pipelines saw, by side, type and class.',
      ['stream', 'side', 'type', 'label'],
      (c, s) => {
        for (const r of s.shadows())
          for (const side of ['live', 'shadow'] as const)
            for (const [key, n] of Object.entries(r.total.events[side])) {
              const [type, ...label] = key.split(' ');
              c.labels(r.stream, side, type!, label.join(' ')).inc(n);
            }
      },
    );
    const level = (name: string, help: string, f: (r: ShadowReport) => number | null) =>
      this.gauge(registers, name, help, ['stream'], async (g, s) => {
        for (const r of await each(s)) {
          const v = f(r);
          if (v !== null) g.labels(r.stream).set(v);
        }
      });
    level(
      'fovea_shadow_box_agreement',
      'Share of boxes matched one to one between live and shadow (IoU >= 0.5, same class), over the total.',
      (r) => r.total.boxes.agreement,
    );
    level('fovea_shadow_mean_iou', 'Mean IoU of the matched boxes, over the total.', (r) => r.total.boxes.mean_iou);
    level(
      'fovea_shadow_ms_per_frame',
      'Milliseconds the shadow pipeline takes per frame.',
      (r) => r.cost.shadow_ms_per_frame,
    );
    level(
      'fovea_shadow_cost_fps',
      "Live frames per second the shadow pipeline's time would have analysed.",
      (r) => r.cost.live_fps_equivalent,
    );
  }

  private gpuMetrics(registers: Registry[]): void {
    const gpus = (s: MetricSources) => this.once('gpus', async () => s.gpus());
    const level = (name: string, help: string, f: (g: GpuSample) => number | null) =>
      this.gauge(registers, name, help, ['gpu', 'name'], async (g, s) => {
        for (const x of await gpus(s)) {
          const v = f(x);
          if (v !== null && Number.isFinite(v)) g.labels(String(x.index), x.name).set(v);
        }
      });
    level(
      'fovea_gpu_utilization_ratio',
      'Share of the last sample period the GPU was busy (NVML).',
      (g) => g.utilization,
    );
    level('fovea_gpu_memory_used_bytes', 'GPU memory in use (NVML).', (g) => g.memoryUsedBytes);
    level('fovea_gpu_memory_total_bytes', 'GPU memory in all (NVML).', (g) => g.memoryTotalBytes);
    level('fovea_gpu_temperature_celsius', 'GPU core temperature (NVML).', (g) => g.temperatureC);
    level(
      'fovea_gpu_decoder_utilization_ratio',
      'Share of the last sample period NVDEC was busy (NVML).',
      (g) => g.decoderUtilization,
    );
  }

  private serviceMetrics(registers: Registry[]): void {
    this.counter(
      registers,
      'fovea_push_notifications_total',
      "Web pushes to people's browsers, by outcome: sent, failed (retried after a backoff), gone (404/410: the subscription removed).",
      ['outcome'],
      (c, s) => {
        const p = s.pushes();
        if (p) for (const o of ['sent', 'failed', 'gone'] as const) c.labels(o).inc(p[o]);
      },
    );
    this.counter(
      registers,
      'fovea_push_held_total',
      "Pushes not sent, by reason: the person's quiet hours, snooze or cooldown, or the browser's backoff after failures.",
      ['reason'],
      (c, s) => {
        for (const [reason, n] of Object.entries(s.pushes()?.held ?? {})) c.labels(reason).inc(n);
      },
    );
    this.gauge(registers, 'fovea_mqtt_connected', '1 while the MQTT broker is connected.', [], (g, s) => {
      const m = s.mqtt();
      if (m) g.set(m.connected ? 1 : 0);
    });
    this.gauge(registers, 'fovea_publish_outbox_messages', 'Messages in the durable MQTT outbox.', [], (g, s) => {
      const m = s.mqtt();
      if (m) g.set(m.outbox_depth);
    });
    this.gauge(registers, 'fovea_publish_outbox_bytes', 'Bytes in the durable MQTT outbox.', [], (g, s) => {
      const m = s.mqtt();
      if (m) g.set(m.outbox_bytes);
    });
    this.gauge(
      registers,
      'fovea_publish_outbox_oldest_age_seconds',
      'Age of the oldest message in the outbox (0 when empty).',
      [],
      (g, s) => {
        const m = s.mqtt();
        if (m) g.set(m.outbox_oldest_age_s ?? 0);
      },
    );
    this.gauge(registers, 'fovea_websocket_clients', 'Open /ws/analysis connections.', [], (g, s) => {
      const w = s.ws();
      if (w) g.set(w.clients);
    });
    const sync = (s: MetricSources) => this.once('sync', () => s.sync());
    const files = (s: MetricSources) => this.once('files', () => s.files());
    this.gauge(registers, 'fovea_sync_pending_objects', 'Objects not yet uploaded to the bucket.', [], async (g, s) => {
      const x = await sync(s);
      if (x) g.set(x.pending);
    });
    this.gauge(registers, 'fovea_sync_pending_bytes', 'Bytes not yet uploaded to the bucket.', [], async (g, s) => {
      const x = await sync(s);
      if (x) g.set(x.pending_bytes);
    });
    this.gauge(
      registers,
      'fovea_sync_oldest_pending_age_seconds',
      'Age of the oldest object waiting for upload (0 when none): the sync lag.',
      [],
      async (g, s) => {
        const x = await sync(s);
        if (x) g.set(x.oldest_pending_age_s ?? 0);
      },
    );
    this.gauge(
      registers,
      'fovea_sync_uploaded_objects',
      'Objects uploaded so far (kept in the store).',
      [],
      async (g, s) => {
        const x = await sync(s);
        if (x) g.set(x.uploaded);
      },
    );
    this.gauge(registers, 'fovea_sync_up', '1 while the bucket takes uploads (state ok).', [], async (g, s) => {
      const x = await sync(s);
      if (x) g.set(x.state === 'ok' ? 1 : 0);
    });
    this.gauge(
      registers,
      'fovea_retention_over_budget',
      '1 while the disk budget is spent on objects not yet uploaded.',
      [],
      (g, s) => {
        const r = s.retention();
        if (r) g.set(r.state === 'over_budget' ? 1 : 0);
      },
    );
    this.gauge(
      registers,
      'fovea_fleet_revision_info',
      'The fleet revision the box runs (label sha), 1.',
      ['sha', 'branch'],
      (g, s) => {
        const f = s.fleet();
        if (f?.applied) g.labels(f.applied.sha, f.applied.branch).set(1);
      },
    );
    this.gauge(registers, 'fovea_fleet_state', 'The fleet agent state: 1 for the current one.', ['state'], (g, s) => {
      const f = s.fleet();
      if (f) for (const st of FLEET_STATES) g.labels(st).set(f.state === st ? 1 : 0);
    });
    this.gauge(
      registers,
      'fovea_fleet_desired_differs',
      '1 while the repo asks for a revision other than the one applied (rejected, rolled back or in progress).',
      [],
      (g, s) => {
        const f = s.fleet();
        if (f) g.set(f.desired && f.desired.sha !== f.applied?.sha ? 1 : 0);
      },
    );
    this.gauge(registers, 'fovea_db_file_bytes', 'Size of the DuckDB file and its WAL.', [], async (g, s) =>
      g.set((await files(s)).db_bytes),
    );
    this.gauge(
      registers,
      'fovea_objects_local_bytes',
      'Bytes of images and snapshots kept on local disk.',
      [],
      async (g, s) => g.set((await files(s)).objects_bytes),
    );
  }
}
