/**
 * @module `bun run bench [suite ...]`: prints markdown tables of medians and p95 with the bare
 * baselines in the same run. Suites: images (real photos), synthetic (10k, 100k vectors), pipeline
 * (video throughput against bare ffmpeg and onnxruntime), publish (MQTT and WebSocket against bare
 * mqtt.js and a bare Bun WebSocket broadcast; decoded-to-received latency), sync (S3 uploads against a
 * bare AWS SDK loop; backlog drain), fleet (roll-out convergence of 20 appliances and 100 agents, apply
 * and rollback times, against bare git fetches), review (the dashboard's event queries at 100,000
 * events against a bare DuckDB query), live-video (CPU of one watched stream's remux against a bare
 * demux and an MPEG-1 re-encode), runs (a pipeline run over 100 photos against a bare loop of the same
 * models; a queue of 10,000 photos; a live stream's fps with and without a run), analytics (a
 * synthetic year of 10 million detections: calendar, time-series and class views against a bare GROUP
 * BY; the pipeline's fps with and without the tables kept current), import (`fovea images import` of
 * 300 photos through the API and into a stopped box, against the bare register path), api (requests/s
 * and latency per route and concurrency under autocannon, against a bare server and bare embedding),
 * guards (what the input guards and the detectors' own resize cost, against bare parses and resizes),
 * recording (the recorder's CPU against a bare `ffmpeg -c copy`; clip latency over HTTP), motion (motion@1
 * per frame against a bare sharp grey resize), notify (an alert to its web push received, against a bare
 * sendPush; and from the person video's frames), classifiers (a linear head on real COCO crops: accuracy at
 * 5, 10, 20 examples per class; training time; cost per crop).
 * FOVEA_BENCH_SIZES=10000,100000,1000000 changes the synthetic sizes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageSearch } from './search-images';
import { syntheticSearch, type DataKind } from './search-synthetic';
import { pipelineBench } from './pipeline';
import { memoryBench } from './memory';
import { publishBench } from './publish';
import { syncBench } from './sync';
import { fleetBench } from './fleet';
import { reviewBench } from './review';
import { liveVideoBench } from './live-video';
import { runsBench } from './runs';
import { analyticsBench } from './analytics';
import { importBench } from './import';
import { apiBench } from './api';
import { guardsBench } from './guards';
import { recordingBench } from './recording';
import { motionBench } from './motion';
import { camerasBench } from './cameras';
import { gatingBench } from './gating';
import { notifyBench } from './notify';
import { classifiersBench } from './classifiers';
import { ocrBench } from './ocr';

const suites = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [
      'images',
      'synthetic',
      'pipeline',
      'memory',
      'publish',
      'sync',
      'fleet',
      'review',
      'live-video',
      'runs',
      'analytics',
      'import',
      'api',
      'guards',
      'recording',
      'motion',
      'gating',
      'cameras',
      'notify',
      'classifiers',
      'ocr',
    ];
const header = ['| case | what | p50 ms | p95 ms | recall@10 | notes |', '|---|---|---|---|---|---|'];
console.log(`fovea bench, ${new Date().toISOString()}, bun ${Bun.version}, ${navigator.hardwareConcurrency} cores\n`);
if (suites.some((s) => s === 'images' || s === 'synthetic')) console.log(header.join('\n'));
if (suites.includes('images')) for (const l of await imageSearch()) console.log(l);
if (suites.includes('synthetic')) {
  const sizes = (process.env.FOVEA_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
  const kinds = (process.env.FOVEA_BENCH_DATA ?? 'manifold,noise').split(',') as DataKind[];
  for (const data of kinds)
    for (const n of sizes) {
      const dir = await mkdtemp(join(tmpdir(), 'fovea-bench-'));
      try {
        for (const l of await syntheticSearch(n, 200, dir, data)) console.log(l);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
}
/** The suites after search, each a table: its columns and what makes its rows. */
const TABLES: Array<{ suite: string; columns: string[]; rows: () => Promise<string[]> }> = [
  {
    suite: 'pipeline',
    columns: [
      'input',
      'what',
      'frames/s',
      'vs (c)',
      'vs slower of (a), (b)',
      'decoded -> stored p50 / p99 ms',
      'CPU % (of 200)',
      'peak RSS MB (with ffmpeg)',
    ],
    rows: pipelineBench,
  },
  {
    suite: 'memory',
    columns: [
      'box',
      'RSS sum MB, median / max',
      'PSS sum MB, median / max',
      'fovea: anon / files MB',
      'ffmpeg: each anon / files MB',
    ],
    rows: memoryBench,
  },
  { suite: 'publish', columns: ['case', 'what', 'messages/s', 'vs bare', 'latency p99'], rows: publishBench },
  { suite: 'sync', columns: ['objects', 'what', 'objects/s', 'MB/s', 'vs bare'], rows: syncBench },
  { suite: 'review', columns: ['stored', 'query', 'p50 ms', 'p95 ms', '', 'vs bare'], rows: reviewBench },
  { suite: 'fleet', columns: ['boxes', 'what', 'median s', 'max s', 'notes'], rows: fleetBench },
  { suite: 'live-video', columns: ['input', 'what', 'CPU % (of 200)', 'kbit/s out', ''], rows: liveVideoBench },
  { suite: 'recording', columns: ['input', 'what', 'CPU % / p50 ms', 'p95 ms', 'notes'], rows: recordingBench },
  { suite: 'motion', columns: ['input', 'what', 'p50 ms', 'p95 ms', 'notes'], rows: motionBench },
  { suite: 'gating', columns: ['input', 'what', 'found / recall', 'frames', 'notes'], rows: gatingBench },
  {
    suite: 'cameras',
    columns: ['cameras', 'what', 'cameras per box', 'CPU % (of 100)', 'detector skipped', 'notes'],
    rows: camerasBench,
  },
  { suite: 'runs', columns: ['case', 'what', 'photos/s (or fps)', 'vs bare', 'notes'], rows: runsBench },
  {
    suite: 'analytics',
    columns: ['data', 'what', 'p50 ms (or fps)', 'p95 ms', '', 'notes'],
    rows: analyticsBench,
  },
  { suite: 'import', columns: ['photos', 'what', 'photos/s', 'vs bare', 'notes'], rows: importBench },
  {
    suite: 'api',
    columns: ['route', 'connections', 'requests/s', 'p50 ms', 'p99 ms', 'non-2xx'],
    rows: apiBench,
  },
  { suite: 'guards', columns: ['input', 'what', 'p50 ms', 'p95 ms', 'notes'], rows: guardsBench },
  { suite: 'notify', columns: ['case', 'what', 'p50 ms', 'p95 ms', 'notes'], rows: notifyBench },
  { suite: 'classifiers', columns: ['examples', 'what', 'figure', '', 'notes'], rows: classifiersBench },
  { suite: 'ocr', columns: ['input', 'what', 'figure', '', 'notes'], rows: ocrBench },
];
for (const t of TABLES) {
  if (!suites.includes(t.suite)) continue;
  console.log(`\n| ${t.columns.join(' | ')} |`);
  console.log(`|${t.columns.map(() => '---').join('|')}|`);
  for (const l of await t.rows()) console.log(l);
}
