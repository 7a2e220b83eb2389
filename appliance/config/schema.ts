/**
 * @module The configuration schema: the single source of truth for the YAML file, its defaults and
 * bounds, the TypeScript type (Config) and the JSON Schema that editors use (fovea.schema.json).
 * Every object forbids unknown keys, so a typo is an error with its line, not a silent default.
 */
import { Type, type Static, type TSchema, type TObject, type TProperties } from '@sinclair/typebox';

const obj = <P extends TProperties>(description: string, props: P): TObject<P> =>
  Type.Object(props, { additionalProperties: false, description, default: {} });

export const ApiConfig = obj('Local HTTP API.', {
  host: Type.String({
    default: '127.0.0.1',
    description: 'Address to listen on. Keep loopback unless a firewall protects the box.',
  }),
  port: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: 'TCP port (0 picks a free one).' }),
  base_path: Type.String({
    default: '',
    pattern: '^(/[A-Za-z0-9._~-]+)*/?$',
    description:
      'The sub-path a reverse proxy serves the box under (e.g. /fovea), stripping it before it forwards; the dashboard links keep it. Empty: the root.',
  }),
  public_url: Type.String({
    default: '',
    description: 'Base URL put in image_url links; empty derives it from the request.',
  }),
  auth: Type.Boolean({ default: true, description: 'Require an API key on /api routes (/health stays open).' }),
  metrics_auth: Type.Boolean({
    default: false,
    description: 'Require a credential with metrics:read on /metrics (turn on when the API listens beyond loopback).',
  }),
  cors_origins: Type.Array(Type.String({ pattern: '^https?://[^/\\s]+$' }), {
    default: [],
    description: 'Origins (scheme://host[:port]) whose pages may call the API from a browser; none by default.',
  }),
  tls: obj('HTTPS. Off while cert_file is empty. The files are watched and reloaded when they change.', {
    cert_file: Type.String({ default: '', description: 'PEM certificate (chain) file.' }),
    key_file: Type.String({ default: '', description: 'PEM private key file.' }),
  }),
  https_only: Type.Boolean({
    default: false,
    description:
      'Refuse to start without tls (a box that must never serve plain HTTP); HSTS is sent whenever TLS is on.',
  }),
  public_read: Type.Boolean({
    default: false,
    description:
      'Let anonymous callers read the views (images, thumbnails, streams, events); uploads, deletes, config, keys and users always need a credential.',
  }),
  login: obj('Users signing in (POST /api/auth/login).', {
    access_ttl_s: Type.Integer({
      default: 900,
      minimum: 60,
      maximum: 86_400,
      description: 'Lifetime of an access token.',
    }),
    refresh_ttl_s: Type.Integer({
      default: 30 * 86_400,
      minimum: 300,
      maximum: 365 * 86_400,
      description: 'Lifetime of a refresh token (each refresh issues a new one).',
    }),
    refresh_reuse_grace_s: Type.Integer({
      default: 10,
      minimum: 0,
      maximum: 300,
      description:
        'A refresh token presented again this soon after it was spent gets the same successor (two tabs refreshing at once); later, its whole session is revoked. 0: never.',
    }),
    free_attempts: Type.Integer({
      default: 5,
      minimum: 1,
      maximum: 100,
      description: 'Wrong passwords in a row before a user name is locked.',
    }),
    lockout_s: Type.Integer({
      default: 30,
      minimum: 1,
      maximum: 3600,
      description: 'The first lock; it doubles with each further wrong password.',
    }),
    lockout_max_s: Type.Integer({ default: 900, minimum: 1, maximum: 86_400, description: 'The longest lock.' }),
    per_ip_per_minute: Type.Integer({
      default: 10,
      minimum: 1,
      maximum: 10_000,
      description: 'Login attempts a minute per client IP.',
    }),
  }),
  max_upload_bytes: Type.Integer({
    default: 10 * 1024 * 1024,
    minimum: 1024,
    maximum: 512 * 1024 * 1024,
    description: 'Largest accepted image upload in bytes.',
  }),
  max_pixels: Type.Integer({
    default: 100_000_000,
    minimum: 1,
    maximum: 1_000_000_000,
    description: 'Largest accepted image in pixels (width x height): rejects decompression bombs before decoding.',
  }),
  rate_limit_per_minute: Type.Integer({
    default: 100,
    minimum: 1,
    maximum: 1_000_000,
    description: 'Requests a minute allowed per API key and per client IP.',
  }),
  people_rate_limit_per_minute: Type.Integer({
    default: 3000,
    minimum: 1,
    maximum: 1_000_000,
    description:
      'Reads a minute allowed per signed-in person and per client IP, and media reads (thumbnails, files, latest frames) of anyone: a dashboard never reaches it.',
  }),
  jwt: obj('JSON Web Tokens accepted besides API keys (WebSocket /ws/analysis). Off while no key is set.', {
    hs256_secret: Type.String({
      default: '',
      description: 'Shared HS256 secret (at least 32 bytes): use ${env:…}, ${file:…} or ${cred:…}, never the value.',
    }),
    eddsa_public_keys: Type.Array(Type.String(), {
      default: [],
      description:
        'Ed25519 public keys (PEM, SPKI) whose EdDSA tokens are accepted; e.g. ${file:/etc/fovea/issuer.pub}.',
    }),
    audience: Type.String({ default: 'fovea', minLength: 1, description: 'Required aud claim.' }),
    issuer: Type.String({ default: '', description: 'Required iss claim; empty accepts any issuer.' }),
    clock_tolerance_s: Type.Integer({ default: 30, minimum: 0, maximum: 600, description: 'Leeway for exp and nbf.' }),
  }),
  live_video: obj('Live video for people watching a stream full-size (WebSocket /ws/live/{id}).', {
    max_viewers_per_stream: Type.Integer({
      default: 4,
      minimum: 0,
      maximum: 64,
      description:
        'Viewers of one stream at a time (0 turns live video off; the dashboard then shows the analysed frames). They share one ffmpeg remux of the camera.',
    }),
    max_buffer_bytes: Type.Integer({
      default: 4 * 1024 * 1024,
      minimum: 64 * 1024,
      maximum: 256 * 1024 * 1024,
      description:
        'Bytes queued for a viewer before it skips to the next keyframe (a slow link never holds others back).',
    }),
  }),
  ws: obj('WebSocket /ws/analysis.', {
    ping_interval_s: Type.Integer({
      default: 30,
      minimum: 1,
      maximum: 600,
      description: 'Ping every client this often; one that has not answered the previous ping is dropped.',
    }),
    max_buffer_bytes: Type.Integer({
      default: 1024 * 1024,
      minimum: 1024,
      maximum: 256 * 1024 * 1024,
      description: 'Bytes queued for a client before it is sent `lagged` and cut.',
    }),
    max_clients: Type.Integer({ default: 256, minimum: 1, maximum: 100_000 }),
  }),
});

export const ModelsConfig = obj('Model catalog, files and inference.', {
  dir: Type.String({ default: '', description: 'Where model files live; empty means <state_dir>/models.' }),
  mirror: Type.String({
    default: '',
    description: 'Directory holding model files to use instead of their upstream URLs (offline boxes).',
  }),
  upstream: Type.Boolean({
    default: true,
    description:
      'Download a model from its pinned upstream URL when the mirror lacks it (false: an air-gapped box takes models from the mirror only).',
  }),
  embed: Type.String({
    default: 'mobilenetv2-embed@1',
    description: 'Catalog id@version of the image embedding model.',
  }),
  providers: Type.Array(Type.Union([Type.Literal('tensorrt'), Type.Literal('cuda'), Type.Literal('cpu')]), {
    default: ['cuda', 'cpu'],
    minItems: 1,
    description:
      'onnxruntime execution providers, tried in order for each model; a provider that cannot open a model is logged once with the reason and the next is tried. A GPU build: [tensorrt, cuda, cpu].',
  }),
  gpu: obj('Options of the GPU providers.', {
    device_id: Type.Integer({ default: 0, minimum: 0, maximum: 64, description: 'The CUDA device the sessions use.' }),
    tensorrt_fp16: Type.Boolean({
      default: true,
      description: 'TensorRT builds its engines in FP16 where the GPU supports it.',
    }),
    tensorrt_workspace_mb: Type.Integer({
      default: 0,
      minimum: 0,
      maximum: 1_048_576,
      description: "TensorRT's workspace limit in MB (0: TensorRT's default, the GPU's memory).",
    }),
  }),
  threads: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 256,
    description: 'Intra-op threads per session (0 lets onnxruntime choose).',
  }),
  spin: Type.Boolean({
    default: false,
    description:
      "onnxruntime's threads spin while they wait for work. A model alone runs about a tenth faster spinning, but on a 2-core box the spinning burned the CPU that decoding and serving needed: off, search by image served about 1.3 times the requests a second, and streams analysed as many frames or more (bench/README).",
  }),
});

export const SearchConfig = obj('Vector similarity search.', {
  connectivity: Type.Integer({
    default: 32,
    minimum: 4,
    maximum: 128,
    description:
      'HNSW graph degree (M). 32 keeps recall@10 at 0.98 on a million photos (16: 0.90) for about the same insert rate; a change rebuilds the index.',
  }),
  expansion_add: Type.Integer({ default: 128, minimum: 8, maximum: 4096, description: 'HNSW ef at insert time.' }),
  expansion_search: Type.Integer({
    default: 128,
    minimum: 8,
    maximum: 4096,
    description: 'HNSW ef at query time: higher is slower and more exact.',
  }),
  quantization: Type.Union([Type.Literal('i8'), Type.Literal('f16'), Type.Literal('f32')], {
    default: 'i8',
    description:
      'How the index holds vectors: i8 (a quarter of f32, about 1.5 GB at a million 1280-d vectors), f16 or f32. With i8 or f16 the best candidates are re-ranked exactly with the float32 vectors kept beside the index.',
  }),
  rerank_candidates: Type.Integer({
    default: 128,
    minimum: 10,
    maximum: 4096,
    description:
      'How many candidates a quantised index hands to the exact re-rank (at least 4 x the results asked for): higher is more exact and slower.',
  }),
  exact_below: Type.Integer({
    default: 2000,
    minimum: 0,
    maximum: 10_000_000,
    description: 'Below this many vectors, search exactly in DuckDB instead of the index.',
  }),
});

export const ImagesConfig = obj('The photo library: what each user may store.', {
  quota_bytes: Type.Integer({
    default: 1024 * 1024 * 1024,
    minimum: 0,
    description:
      "Each user's storage for originals, in bytes, unless an admin sets theirs (PATCH /api/users/:name); 0: no quota. The box's own images (snapshots, run outputs) have none.",
  }),
  strip_gps: Type.Boolean({
    default: false,
    description:
      "Drop photos' locations: a photo with GPS is stored upright and re-encoded (quality 95) without its EXIF but make and model, and no coordinate is kept or served.",
  }),
});

/** A second pipeline run beside a stream's live one, on a share of the same decoded frames, to see what a change would do. */
export const ShadowConfig = Type.Object(
  {
    pipeline: Type.String({
      minLength: 1,
      description: 'The candidate pipeline (pipelines/<name>.yaml or a built-in); it must decode at the live size.',
    }),
    overrides: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: 'Option overrides of the shadow pipeline, e.g. {"detect.score": 0.5}.',
    }),
    sample: Type.Number({
      default: 0.25,
      exclusiveMinimum: 0,
      maximum: 1,
      description: 'Share of the time the shadow runs, in whole segments (1: every frame).',
    }),
    segment_s: Type.Integer({
      default: 60,
      minimum: 1,
      maximum: 3600,
      description: 'Length of one run of consecutive frames (a tracker needs them); the shadow starts afresh at each.',
    }),
    window_s: Type.Integer({
      default: 3600,
      minimum: 10,
      maximum: 86_400,
      description: 'Length of one report window (the last 24 are kept, and the total).',
    }),
    queue: Type.Integer({
      default: 2,
      minimum: 1,
      maximum: 64,
      description:
        'Frames waiting for the shadow; a frame that finds it full is shed (counted), as is any frame while the live queue is half full.',
    }),
  },
  { additionalProperties: false },
);
export type ShadowConfig = Static<typeof ShadowConfig>;

const LabelsZones = (what: string) =>
  Type.Object(
    {
      labels: Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: `Labels that make an item ${what}; empty: any label.`,
      }),
      zones: Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: `Zones (of the pipeline's event stage) an object must enter for ${what}; empty: anywhere.`,
      }),
    },
    { additionalProperties: false, default: {} },
  );

/** Recording by stream copy: the camera's own video in short MP4 segments, and how long they are kept. */
export const RecordConfig = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Record this stream (by stream copy: no decode, no encode).',
    }),
    mode: Type.Union([Type.Literal('events'), Type.Literal('continuous')], {
      default: 'events',
      description:
        'events keeps only the segments around review items (with pre_s and post_s); continuous keeps every segment for retain.days.',
    }),
    pre_s: Type.Integer({
      default: 5,
      minimum: 0,
      maximum: 300,
      description: 'Seconds kept before an item (and its clip).',
    }),
    post_s: Type.Integer({
      default: 10,
      minimum: 0,
      maximum: 600,
      description: 'Seconds kept after an item (and its clip).',
    }),
    segment_s: Type.Integer({
      default: 10,
      minimum: 2,
      maximum: 600,
      description: 'Length of one segment; each starts at a keyframe, so it lasts at least this long.',
    }),
    upload: Type.Union([Type.Literal('alerts'), Type.Literal('all'), Type.Literal('none')], {
      default: 'alerts',
      description:
        "Which items' clips go to the bucket (with sync on): those of alerts, of every item, or none. Each is cut once its item has ended and its post-roll is recorded.",
    }),
    retain: Type.Object(
      {
        days: Type.Number({
          default: 1,
          minimum: 0,
          maximum: 3650,
          description: 'continuous: days every segment is kept.',
        }),
        detections_days: Type.Number({
          default: 10,
          minimum: 0,
          maximum: 3650,
          description: 'Days the segments of a detection item are kept.',
        }),
        alerts_days: Type.Number({
          default: 30,
          minimum: 0,
          maximum: 3650,
          description: 'Days the segments of an alert item are kept (an item marked keep: for ever).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
export type RecordConfig = Static<typeof RecordConfig>;

/** How a stream's activity becomes review items, and which items are alerts. */
export const ReviewConfig = Type.Object(
  {
    alerts: Type.Object(
      {
        labels: Type.Array(Type.String({ minLength: 1 }), {
          default: ['person', 'car'],
          description: 'Labels that make an item an alert.',
        }),
        zones: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'Zones an alert object must enter; empty: anywhere.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    detections: LabelsZones('a detection'),
    gap_s: Type.Number({
      default: 5,
      minimum: 0,
      maximum: 300,
      description: 'An item ends once nothing has been tracked for this long; activity within it extends the item.',
    }),
    max_s: Type.Integer({
      default: 300,
      minimum: 10,
      maximum: 3600,
      description: 'An item lasts at most this long; ongoing activity then starts a new one.',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type ReviewConfig = Static<typeof ReviewConfig>;

/** Another input of the same camera with its roles (a main stream to record beside the sub-stream analysed). */
export const InputConfig = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      description: "rtsp://… or a file path; the stream's auth and credentials apply.",
    }),
    roles: Type.Array(Type.Union([Type.Literal('record'), Type.Literal('live')]), {
      minItems: 1,
      uniqueItems: true,
      description:
        "What this input is for: record (the segments), live (the dashboard's live video). The stream url is always the detect input.",
    }),
  },
  { additionalProperties: false },
);

export const StreamConfig = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'Stream name, used in topics and the API.' }),
    url: Type.String({
      minLength: 1,
      description: 'rtsp://host[:port]/path (port 554 when absent) or a video file path.',
    }),
    auth: Type.Union([Type.Literal('none'), Type.Literal('basic'), Type.Literal('digest')], {
      default: 'none',
      description: 'RTSP authentication (ffmpeg answers Basic or Digest, as the camera asks).',
    }),
    username: Type.String({ default: '', description: 'RTSP user; may be a secret placeholder.' }),
    password: Type.String({
      default: '',
      description: 'RTSP password: use ${env:…}, ${file:…} or ${cred:…}, never the value.',
    }),
    pipeline: Type.String({ minLength: 1, description: 'Pipeline name: pipelines/<name>.yaml, or a built-in one.' }),
    fps: Type.Number({
      default: 0,
      minimum: 0,
      maximum: 120,
      description: 'Frames per second to analyse; 0 takes the pipeline input.fps.',
    }),
    enabled: Type.Boolean({ default: true }),
    loop: Type.Boolean({ default: false, description: 'Files: start again at the end.' }),
    recorded_at: Type.String({
      default: '',
      description:
        'Files: when the recording started (ISO 8601). Frames are then stamped with this time plus their position in the file, not the time they were analysed: footage analysed after the fact counts on the days it was filmed.',
    }),
    realtime: Type.Boolean({ default: true, description: 'Files: decode at their native rate, as a camera would.' }),
    hwaccel: Type.Union([Type.Literal('none'), Type.Literal('cuda')], {
      default: 'none',
      description: 'cuda decodes with NVDEC.',
    }),
    stall_s: Type.Integer({
      default: 10,
      minimum: 1,
      maximum: 600,
      description: 'Restart the decoder after this long without a frame.',
    }),
    queue: Type.Integer({
      default: 4,
      minimum: 1,
      maximum: 256,
      description: 'Frames held between decode and inference; the oldest is dropped when full.',
    }),
    overrides: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: 'Per-run pipeline option overrides, e.g. {"detect.score": 0.5}.',
    }),
    shadow: Type.Optional(ShadowConfig),
    inputs: Type.Array(InputConfig, {
      default: [],
      description:
        'Other inputs of the camera by role; a role no input claims uses url. E.g. the main stream with roles [record] while url is the sub-stream.',
    }),
    record: RecordConfig,
    review: ReviewConfig,
  },
  { additionalProperties: false },
);
export type StreamConfig = Static<typeof StreamConfig>;

export const PipelinesConfig = obj('Pipeline files.', {
  dir: Type.String({
    default: '',
    description:
      'Directory of <name>.yaml pipelines; empty means <state_dir>/pipelines. Built-in pipelines are always available.',
  }),
});

export const RunsConfig = obj('Pipeline runs on demand: jobs over photos and clips (POST /api/runs).', {
  concurrency: Type.Integer({
    default: 1,
    minimum: 1,
    maximum: 16,
    description: 'Runs executed at once; the rest wait in the queue, highest priority first.',
  }),
  item_concurrency: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 16,
    description: 'Inputs of one run in progress at once (one decodes while another is inferred and recorded).',
  }),
  max_items: Type.Integer({
    default: 10_000,
    minimum: 1,
    maximum: 1_000_000,
    description: 'Inputs one run may have (413 above it).',
  }),
  max_files: Type.Integer({
    default: 100,
    minimum: 1,
    maximum: 10_000,
    description: 'Files one multipart request may upload (413 above it); larger batches register images first.',
  }),
  max_request_bytes: Type.Integer({
    default: 128 * 1024 * 1024,
    minimum: 1024 * 1024,
    maximum: 4 * 1024 * 1024 * 1024,
    description:
      'Largest POST /api/runs body (all its files together; 413 above it). Each file also keeps api.max_upload_bytes.',
  }),
  video_dirs: Type.Array(Type.String({ minLength: 1 }), {
    default: [],
    description: 'Directories a run may read video clips from (by path); empty: no clip by path.',
  }),
  max_log_lines: Type.Integer({
    default: 1000,
    minimum: 10,
    maximum: 100_000,
    description: "Lines of a run's log kept (the oldest go first).",
  }),
});

export const AnalyticsConfig = obj('Per-class counts and diversity over days (the /api/analytics views).', {
  time_zone: Type.String({
    default: '',
    description:
      "IANA time zone of the days and hours counted (e.g. Europe/Berlin); empty: the box's own. A change recomputes the tables at the next start.",
  }),
  independence_s: Type.Integer({
    default: 1800,
    minimum: 0,
    maximum: 7 * 86_400,
    description:
      'Independence interval: the same class on the same stream and zone seen again within this many seconds of its last sighting is the same independent event (camera-trap practice: 30 minutes).',
  }),
  refresh_s: Type.Integer({
    default: 60,
    minimum: 0,
    maximum: 86_400,
    description:
      'Seconds between updates of the daily tables (each view also brings them up to date first); 0: only then.',
  }),
  public: Type.Boolean({
    default: false,
    description:
      'Let anyone read the aggregate views (calendar, time series, classes, sessions) without signing in; snapshots, images and events keep their roles.',
  }),
});

export const GrpcConfig = obj('The runs API over gRPC (fovea.proto), for clients that stream images. Off by default.', {
  enabled: Type.Boolean({ default: false, description: 'Serve gRPC on host:port beside the HTTP API.' }),
  host: Type.String({
    default: '127.0.0.1',
    description: 'Address to listen on (plaintext h2c: keep loopback or a private network).',
  }),
  port: Type.Integer({ default: 50051, minimum: 0, maximum: 65535, description: 'TCP port (0 picks a free one).' }),
});

export const SyncConfig = obj('Upload of images and snapshots to a central S3 bucket (off while bucket is empty).', {
  endpoint: Type.String({
    default: '',
    description: 'S3 endpoint URL for MinIO and other S3-compatible servers; empty means AWS for the region.',
  }),
  region: Type.String({ default: 'us-east-1' }),
  bucket: Type.String({ default: '', description: 'Bucket name; empty turns sync off.' }),
  prefix: Type.String({
    default: 'fovea',
    pattern: '^[A-Za-z0-9._/-]*$',
    description: 'Key prefix: objects go to <prefix>/<device>/<yyyy>/<mm>/<dd>/<sha256>.<ext>.',
  }),
  path_style: Type.Boolean({ default: false, description: 'Path-style URLs (MinIO and most S3-compatible servers).' }),
  ca_file: Type.String({
    default: '',
    description:
      'https endpoint: PEM file of the CA that signed its certificate (a private CA); empty trusts the system CAs.',
  }),
  access_key_id: Type.String({
    default: '',
    description: 'Empty uses the standard AWS chain (environment, shared files, instance role).',
  }),
  secret_access_key: Type.String({
    default: '',
    description: 'Use ${env:…}, ${file:…} or ${cred:…}, never the value.',
  }),
  concurrency: Type.Integer({ default: 4, minimum: 1, maximum: 64, description: 'Uploads at once.' }),
  offline_probe_max_s: Type.Integer({
    default: 30,
    minimum: 1,
    maximum: 3600,
    description:
      'While the bucket is unreachable it is probed at 1, 2, 5, 10, 20 s, then at most this often: how soon the backlog moves once the link is back.',
  }),
  multipart_threshold_bytes: Type.Integer({
    default: 16 * 1024 * 1024,
    minimum: 5 * 1024 * 1024,
    description: 'Files this large go up in parts.',
  }),
  part_size_bytes: Type.Integer({
    default: 8 * 1024 * 1024,
    minimum: 5 * 1024 * 1024,
    maximum: 5 * 1024 * 1024 * 1024,
  }),
  presign_expiry_s: Type.Integer({
    default: 3600,
    minimum: 60,
    maximum: 604_800,
    description: 'Lifetime of the presigned image_url of uploaded objects.',
  }),
  keep_remote_on_delete: Type.Boolean({
    default: false,
    description:
      "Keep an image's objects in the bucket when it is deleted here (the bucket as an archive); by default they are deleted there too, queued like uploads.",
  }),
  export_interval_s: Type.Integer({
    default: 3600,
    minimum: 0,
    maximum: 7 * 86_400,
    description: 'Seconds between Parquet exports of events, detections and images to <prefix>/_tables/; 0: off.',
  }),
  export_settle_s: Type.Integer({
    default: 60,
    minimum: 0,
    maximum: 3600,
    description:
      'Detections, images and daily rows younger than this are left for the next export (a write may still be landing); lower it only where exports must be prompt.',
  }),
  retention: obj(
    'Local disk budget: past it, local copies of uploaded objects are deleted, oldest first; pending ones never.',
    {
      max_bytes: Type.Integer({
        default: 0,
        minimum: 0,
        description: 'Bytes of stored objects kept locally; 0: no limit.',
      }),
      max_disk_percent: Type.Number({
        default: 0,
        minimum: 0,
        maximum: 100,
        description: "How full the state directory's filesystem may get, in %; 0: no limit.",
      }),
      check_interval_s: Type.Integer({ default: 60, minimum: 1, maximum: 86_400 }),
    },
  ),
});

export const RecordingsConfig = obj(
  'Where recordings live and the disk they may use (each stream says what it records).',
  {
    dir: Type.String({ default: '', description: 'Directory of the recordings; empty means <state_dir>/recordings.' }),
    min_free_mb: Type.Integer({
      default: 1024,
      minimum: 0,
      description:
        'Free space to keep on the recordings filesystem: below it the oldest segments no item protects go first, and when none is left recording stops (analysis goes on).',
    }),
    check_interval_s: Type.Integer({
      default: 5,
      minimum: 1,
      maximum: 300,
      description: 'How often complete segments are checked, indexed and retention applied.',
    }),
  },
);

export const SnapshotsConfig = obj("Event snapshots: the best frame of a track at the camera's resolution.", {
  max_width: Type.Integer({
    default: 1920,
    minimum: 0,
    maximum: 7680,
    description:
      "Snapshots wider than this are scaled down to it. 0: snapshots from the model's input instead, which saves the decoder's JPEG of every analysed frame (about 8 % of a core for a 1080p stream at 5 fps).",
  }),
});

export const NotifyConfig = obj(
  'Notifications to people: web push to the browsers they subscribe from the dashboard.',
  {
    web_push: obj('Web push (RFC 8030/8291/8292): the box sends through each browser’s push service.', {
      enabled: Type.Boolean({ default: true, description: 'Send pushes for review items to subscribed browsers.' }),
      subject: Type.String({
        default: 'mailto:fovea@localhost',
        pattern: '^(mailto:|https://)',
        description:
          'Who runs the box (a mailto: or https: URL), in every push’s VAPID claim: push services contact it about problems. Set it to a real address.',
      }),
      ttl_s: Type.Integer({
        default: 3600,
        minimum: 0,
        maximum: 2_419_200,
        description: 'Seconds a push service keeps a push for a browser that is offline.',
      }),
      timeout_ms: Type.Integer({
        default: 5000,
        minimum: 100,
        maximum: 60_000,
        description: 'How long one push may take before it counts as failed.',
      }),
      allow_loopback_http: Type.Boolean({
        default: false,
        description:
          'Accept subscriptions to an http push service on loopback. For tests with a stand-in only: a real push service is https on a public host.',
      }),
    }),
  },
);

export const WebhookConfig = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
      description: 'Webhook name: its cursor and its status entry.',
    }),
    url: Type.String({
      pattern: '^https?://',
      description: 'Receiver URL; one POST per event. Redirects are not followed.',
    }),
    secret: Type.String({
      minLength: 16,
      description: 'HMAC-SHA256 key for X-Fovea-Signature: use ${env:…}, ${file:…} or ${cred:…}, never the value.',
    }),
    streams: Type.Array(Type.String(), { default: [], description: 'Only events of these streams; empty means all.' }),
    events: Type.Array(Type.String(), {
      default: [],
      description: 'Only these event types (enter, leave, cross, dwell, count); empty means all.',
    }),
    timeout_ms: Type.Integer({
      default: 5000,
      minimum: 100,
      maximum: 60_000,
      description: 'A delivery that takes longer is retried.',
    }),
  },
  { additionalProperties: false },
);
export type WebhookConfig = Static<typeof WebhookConfig>;

export const MqttConfig = obj('MQTT publishing (off while url is empty).', {
  url: Type.String({
    default: '',
    description: 'Broker URL: mqtt://host:1883 or mqtts://host:8883; empty turns MQTT off.',
  }),
  client_id: Type.String({ default: '', description: 'Client id; empty means fovea-<device_id>.' }),
  ca_file: Type.String({
    default: '',
    description: 'mqtts: PEM file of the CA that signed the broker certificate; empty trusts the system CAs.',
  }),
  cert_file: Type.String({
    default: '',
    description: 'mqtts: client certificate (PEM), for brokers that require one.',
  }),
  key_file: Type.String({ default: '', description: 'mqtts: the client certificate key (PEM).' }),
  username: Type.String({ default: '' }),
  password: Type.String({ default: '', description: 'Use a secret placeholder (${env:…}, ${file:…}, ${cred:…}).' }),
  topic_prefix: Type.String({ default: 'fovea', pattern: '^[^#+/]+$' }),
  qos: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], { default: 1 }),
  outbox_max_messages: Type.Integer({
    default: 100_000,
    minimum: 10,
    description: 'Outbox bound while the broker is away (per-frame messages dropped first).',
  }),
  outbox_max_bytes: Type.Integer({ default: 100 * 1024 * 1024, minimum: 1024 }),
  stats_interval_s: Type.Integer({
    default: 60,
    minimum: 1,
    maximum: 3600,
    description: 'Seconds between two messages on the stats topic.',
  }),
  home_assistant: Type.Object(
    {
      enabled: Type.Boolean({
        default: true,
        description:
          'Announce each stream to Home Assistant by MQTT discovery (occupancy, counts, a snapshot camera, a detection switch); off withdraws what this box announced.',
      }),
      prefix: Type.String({
        default: 'homeassistant',
        pattern: '^[^#+/]+$',
        description: "Home Assistant's discovery prefix (its MQTT integration's setting).",
      }),
    },
    { additionalProperties: false, default: {} },
  ),
});

export const FleetConfig = obj('Configuration from a fleet Git repo (off while repo is empty).', {
  repo: Type.String({
    default: '',
    description: "URL (https://, ssh:// or a path) of the fleet repo; git uses the box's own credentials.",
  }),
  branch: Type.String({
    default: '',
    description: "Branch or tag to follow; empty follows the repo: fleet.yaml, or the branch of this device's group.",
  }),
  interval_s: Type.Integer({
    default: 60,
    minimum: 5,
    maximum: 86_400,
    description: 'Seconds between two fetches (POST /api/fleet/sync fetches at once).',
  }),
  grace_s: Type.Integer({
    default: 30,
    minimum: 1,
    maximum: 3600,
    description:
      'After applying, every changed stream must be running and producing results within this; otherwise the box rolls back.',
  }),
  require_signed: Type.Boolean({
    default: false,
    description:
      'Apply only commits signed (git SSH signatures) by a key in allowed_signers. Set here, on the box: the repo cannot turn it off.',
  }),
  allowed_signers: Type.String({
    default: '',
    description:
      "git's allowed-signers file (gpg.ssh.allowedSignersFile): the keys whose signed commits this box applies.",
  }),
  golden_gate: Type.Boolean({
    default: false,
    description:
      "Before applying a revision, run its golden clips (golden/<name>.yaml) through their pipelines on this box; a broken expectation rejects the revision. Takes the clips' length of CPU at full speed.",
  }),
});

export const BackupConfig = obj(
  'Backups of the database, index, users and keys (and to the sync bucket when sync is on).',
  {
    dir: Type.String({ default: '', description: 'Where backups are written; empty: <state_dir>/backups.' }),
    schedule: Type.Boolean({ default: true, description: 'Take one every day at `at`.' }),
    at: Type.String({
      default: '02:00',
      pattern: '^([01]\\d|2[0-3]):[0-5]\\d$',
      description: 'Local time of day (HH:MM) of the daily backup.',
    }),
    keep: Type.Integer({
      default: 7,
      minimum: 1,
      maximum: 365,
      description: 'How many backups to keep locally (the oldest go first).',
    }),
  },
);

export const LogConfig = obj('Logging.', {
  level: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], {
    default: 'info',
    description: 'Lowest level written.',
  }),
});

export const Config = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Path of the JSON Schema, for editors.' })),
    state_dir: Type.String({ default: './data', description: 'Directory for the database, index, images and models.' }),
    device_id: Type.String({ default: '', description: 'This box in the fleet; empty means the host name.' }),
    api: ApiConfig,
    models: ModelsConfig,
    search: SearchConfig,
    images: ImagesConfig,
    pipelines: PipelinesConfig,
    runs: RunsConfig,
    grpc: GrpcConfig,
    analytics: AnalyticsConfig,
    streams: Type.Array(StreamConfig, { default: [], description: 'Video streams to analyse.' }),
    recordings: RecordingsConfig,
    snapshots: SnapshotsConfig,
    notify: NotifyConfig,
    mqtt: MqttConfig,
    sync: SyncConfig,
    fleet: FleetConfig,
    backup: BackupConfig,
    webhooks: Type.Array(WebhookConfig, {
      default: [],
      description: 'Event webhooks: signed JSON POSTs, retried until delivered.',
    }),
    log: LogConfig,
  },
  { additionalProperties: false, title: 'fovea configuration', description: 'Configuration of one fovea appliance.' },
);

export type Config = Static<typeof Config>;
export type AnySchema = TSchema;

/**
 * The JSON Schema for editors: the same schema, minus `required` for keys that have a default (the
 * loader fills them, so an editor must not flag a short file).
 */
export function editorSchema(schema: TSchema = Config): unknown {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v);
    const props = out.properties as Record<string, { default?: unknown }> | undefined;
    if (Array.isArray(out.required) && props) {
      out.required = (out.required as string[]).filter((k) => props[k]?.default === undefined);
      if ((out.required as string[]).length === 0) delete out.required;
    }
    return out;
  };
  return walk(JSON.parse(JSON.stringify(schema)));
}
